"""Raw tables -> validated canonical tables -> point-in-time feature frames and labels.

The ground floor of arsight: `training` and `serving` stand on it, it imports neither.
"""
