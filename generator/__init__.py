"""Publish legal policies from git history: versions, publicity windows, the site."""
