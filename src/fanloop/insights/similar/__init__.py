"""Similar posts: likely duplicates of a draft or a post, and already-answered posts staff can reuse."""
