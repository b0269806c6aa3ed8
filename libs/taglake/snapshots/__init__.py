"""Daily tag snapshots: physical layout (column groups), registry, BI views, reads, retention."""
