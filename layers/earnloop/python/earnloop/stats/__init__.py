"""The stats context: daily statistics and the leaderboard, counted from other contexts' events."""
