"""Content: items and their editorial workflow, per-channel variants, images, templates and previews."""
