"""Reading what a page draws: CSS, visibility, generated content, lines; the browser reader."""
