"""HTTP only: sign-in, security headers, htmx helpers, forms, the browser pages (views/), the JSON API (api/) and
the SSE endpoint. Views call domain functions; they build no queries and never commit.
"""
