"""Campaign detection: columnar click frames, pure numpy signals, cohorts and real-time matching."""
