"""The comparison: two photo panes, face boxes, and the verdict with its threshold slider."""
