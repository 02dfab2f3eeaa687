"""The performance benchmark (`make bench`): dataset builder, load generator and report. See docs/performance.md."""
