"""Finding faces: faceapp's MTCNN, the detection policy (floors, turns), crops and quality."""
