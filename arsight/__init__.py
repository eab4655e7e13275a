"""arsight: receivables-risk scores, DSO forecasts, risk tiers and deal decisions.

This package is only the composition root: the one `arsight` console script that mounts each
package's command-line sub-app, and the end-to-end demo job.
"""
