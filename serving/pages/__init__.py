"""Risk officers' pages: portfolio, customer and deal assessment, rendered on the server.

The pages sit on the API's own code: the deal page calls the function behind
`POST /v1/deals/assess`, the customer page the one behind `GET /v1/customers/{id}`, the
portfolio page reads the batch job's outputs. Sign-in turns a risk API key into a signed
session cookie; every form carries a CSRF token; Jinja2 escapes every value; charts are SVG
drawn here, so no JavaScript is needed. See docs/pages.md.
"""
