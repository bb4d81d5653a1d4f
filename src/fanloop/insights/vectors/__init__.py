"""One stored vector (and negativity score) per post, computed once, and nearest-neighbour search."""
