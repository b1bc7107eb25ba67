"""The HTML page of a report: one self-contained file (inline CSS and SVG, no scripts, no network)."""

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="custsim">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
  body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 1250px;
         padding: 1.5rem 2rem 4rem; color: #222; line-height: 1.45; }
  h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
  h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
  .lede { font-size: 1.05rem; background: #f4f8fb; border-left: 4px solid #3182bd; padding: 0.8rem 1rem; }
  .muted { color: #666; font-size: 0.9rem; }
  table { border-collapse: collapse; font-size: 0.88rem; margin: 0.6rem 0; }
  th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
  th:first-child, td:first-child { text-align: left; }
  td.best { font-weight: bold; background: #e5f5e0; }
  td.unsure { color: #999; }
  figure { margin: 1.2rem 0 1.8rem; }
  figure svg { width: 100%; height: auto; display: block; }
  figcaption { color: #444; font-size: 0.92rem; margin-top: 0.3rem; }
  pre { background: #f7f7f7; padding: 0.8rem; overflow-x: auto; font-size: 0.8rem; }
  details summary { cursor: pointer; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="muted">{{ subtitle }}</p>

<h2 id="summary">Summary</h2>
<div class="lede">
{% for sentence in summary %}<p>{{ sentence }}</p>
{% endfor %}
</div>

{% if table %}
<h2 id="comparison">1. The comparison</h2>
<table id="comparison-table">
<thead><tr><th>metric</th>{% for h in table.header %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in table.rows %}<tr><td>{{ row.metric }}</td>{% for c in row.cells %}<td class="{{ 'best' if row.best[loop.index0] else '' }}">{{ c }}</td>{% endfor %}{% for d in row.diffs %}<td class="{{ '' if row.sure[loop.index0] else 'unsure' }}">{{ d }}</td>{% endfor %}</tr>
{% endfor %}</tbody>
</table>
<p class="muted">Mean ± half-width of the 95 % confidence interval over replications. Δ: paired difference
against {{ table.baseline }} (same random numbers in each replication); grey when its interval includes zero.
Shaded: the best policy on a metric with a clear direction. <span class="muted">(PNG: figure-01-comparison.png)</span></p>
{% endif %}

{% for fig in figures %}
<h2 id="{{ fig.id }}-heading">{{ fig.heading }}</h2>
<figure id="{{ fig.id }}" class="report-figure">
{{ fig.svg }}
<figcaption>{{ fig.caption }} <span class="muted">(PNG: {{ fig.png }})</span></figcaption>
</figure>
{% endfor %}

{% for note in notes %}<p class="muted">{{ note }}</p>
{% endfor %}

<h2 id="parameters">Scenario and policies</h2>
<p>{{ scenario_description }}</p>
<details><summary>All parameters of the scenario (as run)</summary>
<pre>{{ scenario_text }}</pre>
</details>

<h2 id="provenance">Provenance</h2>
<table id="provenance-table">
{% for key, value in provenance %}<tr><td>{{ key }}</td><td style="text-align:left">{{ value }}</td></tr>
{% endfor %}</table>
</body>
</html>
"""
