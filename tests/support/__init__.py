"""What the integration tests share: functions called as Lambda calls them, and their answers read."""
