"""Workers: claim jobs under a lease, drive engines, keep results, recover from crashes."""
