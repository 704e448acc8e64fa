"""The message catalogue: every user-facing label in 简体中文 (first) and English.

Presentation code asks :func:`text` for a key; nothing else holds user-facing strings.
"""

from __future__ import annotations

import os
from typing import Final

LANGUAGES: Final = ("zh", "en")

CATALOGUE: Final[dict[str, dict[str, str]]] = {
    "zh": {
        "method": "计票方法",
        "ballots": "选票数",
        "seats": "席位",
        "winners": "当选",
        "funded": "立项",
        "round": "轮次",
        "quota": "当选票额",
        "exhausted": "失效票",
        "elected": "当选",
        "eliminated": "淘汰",
        "candidate": "选项",
        "score": "得分",
        "ties": "平局处理",
        "no_ties": "没有遇到平局。",
        "seed": "抽签种子",
        "tie_line": "第{round}轮：{tied} 打平（{purpose}），按{rule}决定：{chosen}",
        "tie_line_final": "{tied} 打平（{purpose}），按{rule}决定：{chosen}",
        "rule.lot": "抽签",
        "rule.earlier-round": "较早轮次的票数",
        "rule.later-round": "较晚轮次的票数",
        "rule.pairwise": "两两比较",
        "rule.higher-score": "总分更高者",
        "rule.first-preferences": "第一志愿票数",
        "rule.cheaper": "造价更低者",
        "purpose.eliminate": "淘汰",
        "purpose.elect": "当选",
        "purpose.win": "胜出",
        "purpose.rank": "排名",
        "purpose.fund": "立项",
        "cost": "造价",
        "support": "支持票",
        "decision": "结果",
        "reason.funded": "立项",
        "reason.over-budget": "剩余预算不足，未立项",
        "reason.supporters-cannot-afford": "支持者分摊的预算不足，未立项",
        "reason.no-support": "无人支持，未立项",
        "reason.completion": "补充阶段立项",
        "budget": "预算",
        "spent": "已用",
        "compare.title": "各计票方法比较",
        "compare.agree": "所有方法结果一致。",
        "compare.disagree": "各方法结果不一致。",
        "compare.condorcet": "孔多塞胜者（两两对决都赢的选项）：{name}",
        "compare.no_condorcet": "没有孔多塞胜者（存在循环）。",
        "compare.smith": "史密斯集合：{names}",
        "compare.misses": "没有选出孔多塞胜者的方法：{names}",
        "compare.tied": "平局未决：{names}",
        "reading": "读取中",
        "error": "错误",
    },
    "en": {
        "method": "Method",
        "ballots": "Ballots",
        "seats": "Seats",
        "winners": "Winners",
        "funded": "Funded",
        "round": "Round",
        "quota": "Quota",
        "exhausted": "Exhausted",
        "elected": "Elected",
        "eliminated": "Eliminated",
        "candidate": "Option",
        "score": "Score",
        "ties": "Ties",
        "no_ties": "No ties were met.",
        "seed": "Lot seed",
        "tie_line": "Round {round}: {tied} tied ({purpose}), decided by {rule}: {chosen}",
        "tie_line_final": "{tied} tied ({purpose}), decided by {rule}: {chosen}",
        "rule.lot": "lot",
        "rule.earlier-round": "votes in an earlier round",
        "rule.later-round": "votes in a later round",
        "rule.pairwise": "head-to-head comparison",
        "rule.higher-score": "higher total score",
        "rule.first-preferences": "first preferences",
        "rule.cheaper": "lower cost",
        "purpose.eliminate": "elimination",
        "purpose.elect": "election",
        "purpose.win": "winner",
        "purpose.rank": "ranking",
        "purpose.fund": "funding",
        "cost": "Cost",
        "support": "Support",
        "decision": "Decision",
        "reason.funded": "funded",
        "reason.over-budget": "skipped: not enough money left",
        "reason.supporters-cannot-afford": "skipped: its supporters' shares cannot pay for it",
        "reason.no-support": "skipped: nobody supports it",
        "reason.completion": "funded in the completion step",
        "budget": "Budget",
        "spent": "Spent",
        "compare.title": "Methods compared",
        "compare.agree": "All methods agree.",
        "compare.disagree": "The methods do not agree.",
        "compare.condorcet": "Condorcet winner (beats every other option head to head): {name}",
        "compare.no_condorcet": "There is no Condorcet winner (a cycle).",
        "compare.smith": "Smith set: {names}",
        "compare.misses": "Methods that do not elect the Condorcet winner: {names}",
        "compare.tied": "unresolved tie: {names}",
        "reading": "Reading",
        "error": "error",
    },
}


def text(lang: str, key: str, **values: object) -> str:
    """The label ``key`` in ``lang`` (falling back to Chinese, then to the key itself)."""
    template = CATALOGUE.get(lang, CATALOGUE["zh"]).get(key) or CATALOGUE["zh"].get(key, key)
    return template.format(**values) if values else template


def default_language(environ: dict[str, str] | None = None) -> str:
    """``en`` when the locale asks for English, else ``zh`` (Chinese first)."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(var, "")
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    return "zh"
