"""开放数据: the list of datasets with their data dictionaries, and each one as CSV or JSON, streamed."""

import csv
import json

from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import http_date
from django.views.decorators.http import require_GET

from ..open_data import BY_SLUG, DATASETS, rows_of, summarise

FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}


@require_GET
def open_data_index(request):
    return render(request, "portal/open_data.html", {"summaries": [summarise(d) for d in DATASETS]})


class _Echo:
    """csv.writer writes into this and gets the line back, so each row can be streamed as it is made."""

    def write(self, value):
        return value


def _csv(dataset):
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a BOM, so that Excel opens the Chinese text as UTF-8
    yield writer.writerow([c.name for c in dataset.columns])
    for values in rows_of(dataset):
        yield writer.writerow(values)


def _json(dataset, summary):
    head = {
        "dataset": dataset.slug, "title": str(dataset.title), "description": str(dataset.description),
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "last_modified": (timezone.localtime(summary.last_modified).isoformat(timespec="seconds")
                          if summary.last_modified else None),
        "fields": [{"name": c.name, "label": str(c.label), "meaning": str(c.meaning)} for c in dataset.columns],
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": ['
    names = [c.name for c in dataset.columns]
    for n, values in enumerate(rows_of(dataset)):
        yield ("," if n else "") + json.dumps(dict(zip(names, values, strict=True)), ensure_ascii=False)
    yield "]}"


@require_GET
def open_data_download(request, dataset, fmt):
    if dataset not in BY_SLUG or fmt not in FORMATS:
        raise Http404
    data = BY_SLUG[dataset]
    summary = summarise(data)
    body = _csv(data) if fmt == "csv" else _json(data, summary)
    response = StreamingHttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{data.slug}-{timezone.localdate():%Y%m%d}.{fmt}"'
    if summary.last_modified:
        response["Last-Modified"] = http_date(summary.last_modified.timestamp())
    return response
