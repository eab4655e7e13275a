"""The terms review page: the latest nightly run's cuts and rewards, each with its reason."""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from serving.batch.runs import find_runs
from serving.pages.rendering import render
from serving.pages.signin import RiskSessionDep
from serving.settings import ServingSettings

router = APIRouter(include_in_schema=False)


@router.get("/ui/terms-review")
def terms_review_page(request: Request, session: RiskSessionDep) -> HTMLResponse:
    """Customers whose terms should change, cuts first (`serving.batch.terms_review`)."""
    settings: ServingSettings = request.app.state.settings
    runs_dir = settings.resolve(settings.runs_dir)
    runs = [r for r in find_runs(runs_dir) if r.paths.terms_review.is_file()]
    review = pd.read_parquet(runs[-1].paths.terms_review) if runs else None
    return render(
        request,
        "terms.html",
        session=session,
        as_of=runs[-1].as_of if runs else None,
        runs_dir=runs_dir,
        rows=[] if review is None else review.to_dict("records"),
    )
