"""Domain operations used by views, the API and jobs alike."""
