"""How good is a threshold on your photos: error rates, calibration, its report, saved thresholds."""
