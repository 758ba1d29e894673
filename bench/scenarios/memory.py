"""Peak RSS of each server process of the inbound scenario, read from /proc (VmHWM) after its load."""

from __future__ import annotations

from bench.registry import Bench, Table, register


@register("memory", order=40)
async def memory(bench: Bench) -> list[Table]:
    rss = bench.shared.get("rss")
    if not rss:
        return [Table("Peak RSS", ["process", "MiB"], notes=["(run with the teams-inbound scenario)"])]
    names = bench.shared["rss_names"]
    return [Table("Peak RSS under the inbound load (16 and 64 conversations)", ["process", "MiB"],
                  [[names[k], f"{v:.0f}"] for k, v in rss.items()])]
