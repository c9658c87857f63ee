"""The People view: people, groups and folders, the face grid, thumbnails, naming."""
