"""Risk control: sliding-window limits per user, device and client IP, counted in each command's own table."""
