"""Content for the demo community: the fan community of the (fictional) Lumen phone brand.

Lumen phones run LumenOS and ship with the Lumen Wallet payment app. Fans post bug reports,
suggestions, complaints, questions and praise in Simplified Chinese (about 55%) and English
(about 45%). Everything here is pure data generation: every function takes the
``random.Random`` to draw from, so the same seed always gives the same community, and nothing
outside the package is read.

Where the text comes from:

- Chinese posts and most English posts are built from the templates in
  :mod:`fanloop.demo.templates_zh` and :mod:`fanloop.demo.templates_en`, filled with phone models,
  LumenOS versions, cities, apps, amounts and so on. The templates keep coming back to the same
  pain points (overnight battery drain after updates, delayed notifications, 5G and Wi-Fi drops,
  camera focus, overheating, NFC transit payments...), so the pain-point features have real
  clusters to find.
- Many English questions and complaints on the Lumen Wallet board are real customer-service
  queries from the Banking77 dataset by PolyAI (Casanueva et al. 2020, "Efficient Intent
  Detection with Dual Sentence Encoders", https://github.com/PolyAI-LDN/task-specific-datasets),
  licensed CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). A sample of 400 training
  queries is shipped unchanged in ``data/banking77_sample.csv``; see ``data/ATTRIBUTION.md``.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import ModuleType

from fanloop.demo import templates_en, templates_zh

__all__ = [
    "BOARDS",
    "DEVICE_MODELS",
    "KIND_SHARES",
    "KINDS",
    "LANGS",
    "OS_VERSIONS",
    "ROLES",
    "TAGS",
    "MemberSpec",
    "PostSpec",
    "load_banking77_sample",
    "make_members",
    "make_posts",
    "make_reply",
]

KINDS = ("bug", "suggestion", "complaint", "question", "praise")
KIND_SHARES = {"bug": 0.30, "suggestion": 0.25, "complaint": 0.20, "question": 0.15, "praise": 0.10}
LANG_SHARES = {"zh_CN": 0.55, "en": 0.45}
LANGS = ("zh_CN", "en")
ROLES = ("fan", "staff", "lead", "admin")

TITLE_MIN, TITLE_MAX = 5, 120
WALLET_TITLE_MAX = 80

# (slug, English name, Chinese name, English description)
BOARDS: list[tuple[str, str, str, str]] = [
    ("lumenos", "LumenOS", "LumenOS 系统",
     "Bugs, ideas and questions about LumenOS: updates, display, network, Bluetooth, gestures and sound."),
    ("camera", "Camera", "相机影像", "Photos, video, focus, night mode and the gallery."),
    ("battery", "Battery & charging", "电池与充电",
     "Battery life, overnight drain, fast charging and heat while charging."),
    ("wallet", "Lumen Wallet", "Lumen 钱包",
     "Cards, top-ups, transfers, exchange rates, transit cards and NFC payments in Lumen Wallet."),
    ("apps", "Apps & services", "应用与服务", "Notifications, built-in apps, storage and Lumen services."),
    ("lounge", "Fan lounge", "粉丝茶话会", "Chat, photos, meetups, stores and thanks to the team."),
]

# (slug, English name, Chinese name): the product areas posts are tagged with.
TAGS: list[tuple[str, str, str]] = [
    ("battery", "Battery", "电池"),
    ("camera", "Camera", "相机"),
    ("display", "Display", "显示"),
    ("network", "Network", "网络与信号"),
    ("bluetooth", "Bluetooth", "蓝牙"),
    ("notifications", "Notifications", "通知"),
    ("performance", "Performance & heat", "性能与发热"),
    ("update", "System update", "系统更新"),
    ("wallet", "Wallet & NFC", "钱包与 NFC"),
    ("gestures", "Gestures", "手势"),
    ("audio", "Audio", "音频"),
    ("storage", "Storage", "存储"),
]

DEVICE_MODELS = [
    "Lumen X3 Pro", "Lumen X3", "Lumen X2 Pro", "Lumen X2", "Lumen Fold 2", "Lumen Note 5", "Lumen A5",
    "Lumen A5 Lite",
]
# Oldest first; the last one is the current public beta.
OS_VERSIONS = ["3.8.5", "4.0.0", "4.0.2", "4.1.0", "4.1.3", "4.2.0", "4.2.1 Beta"]
_VERSION_WEIGHTS = [1, 1, 2, 3, 5, 6, 2]
_CURRENT_VERSION = "4.2.0"  # the current stable release
EARBUDS = ["Lumen Buds Pro", "Lumen Buds 2", "Lumen Buds Lite"]

_BOARD_FOR_TAG = {
    "battery": "battery", "camera": "camera", "wallet": "wallet", "notifications": "apps", "storage": "apps",
    "": "lounge",
}
# The recurring pain points weigh more, so they stand out as clusters.
_TAG_WEIGHTS = {"battery": 3, "notifications": 3, "network": 2, "camera": 2, "performance": 2, "wallet": 2}
# Share of English posts of a kind taken from the Banking77 sample (Lumen Wallet board).
_WALLET_SHARE = {"complaint": 0.5, "question": 0.6}
_WALLET_COMPLAINT_CATEGORIES = frozenset({
    "card_payment_fee_charged", "card_payment_wrong_exchange_rate", "card_payment_not_recognised",
    "declined_card_payment", "reverted_card_payment?", "transaction_charged_twice", "Refund_not_showing_up",
    "top_up_failed", "top_up_reverted", "transfer_not_received_by_recipient", "failed_transfer", "pin_blocked",
    "contactless_not_working",
})
_TEMPLATES: dict[str, ModuleType] = {"zh_CN": templates_zh, "en": templates_en}


@dataclass(frozen=True, slots=True)
class MemberSpec:
    handle: str
    display_name: str
    role: str  # "fan", "staff", "lead" or "admin"
    lang: str  # "zh_CN" or "en"
    skills: tuple[str, ...]  # board/tag slugs and language codes the member can handle


@dataclass(frozen=True, slots=True)
class PostSpec:
    kind: str  # "bug", "suggestion", "complaint", "question" or "praise"
    board: str
    title: str
    body: str
    lang: str
    tags: tuple[str, ...]
    device_model: str | None = None  # bugs only
    os_version: str | None = None  # bugs only
    steps_to_reproduce: str | None = None  # bugs only: a numbered Markdown list


# ---------------------------------------------------------------------------------------------
# Banking77 sample


@lru_cache(maxsize=1)
def load_banking77_sample() -> tuple[tuple[str, str], ...]:
    """The shipped Banking77 sample as ``(text, category)`` pairs, texts unchanged."""
    raw = resources.files("fanloop.demo").joinpath("data").joinpath("banking77_sample.csv")
    reader = csv.DictReader(io.StringIO(raw.read_text(encoding="utf-8"), newline=""))
    return tuple((row["text"], row["category"]) for row in reader)


def _wallet_kind(category: str) -> str:
    return "complaint" if category in _WALLET_COMPLAINT_CATEGORIES else "question"


_WALLET_THEMES = {
    "card": ("card_arrival", "activate_my_card", "change_pin", "pin_blocked", "contactless_not_working"),
    "payment": ("card_payment_fee_charged", "card_payment_not_recognised", "declined_card_payment",
                "pending_card_payment", "reverted_card_payment?", "transaction_charged_twice"),
    "refund": ("request_refund", "Refund_not_showing_up"),
    "topup": ("top_up_failed", "pending_top_up", "top_up_reverted", "automatic_top_up", "top_up_limits"),
    "transfer": ("transfer_not_received_by_recipient", "pending_transfer", "failed_transfer", "cancel_transfer"),
    "exchange": ("exchange_rate", "exchange_via_app", "card_payment_wrong_exchange_rate"),
}
_WALLET_THEME = {category: theme for theme, categories in _WALLET_THEMES.items() for category in categories}


@lru_cache(maxsize=1)
def _wallet_categories() -> dict[str, str]:
    """Wallet post title -> Banking77 category, to answer a query on its topic."""
    return {_wallet_title(text): category for text, category in load_banking77_sample()}


def _wallet_title(text: str) -> str:
    return _shorten(" ".join(text.split()), WALLET_TITLE_MAX)


# ---------------------------------------------------------------------------------------------
# Helpers


def _shorten(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, at a word boundary when there is one."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:!?，。") + "…"


def _quota(rng: random.Random, n: int, shares: dict[str, float]) -> list[str]:
    """``n`` labels in the given shares (largest remainder), in random order."""
    raw = {key: n * share for key, share in shares.items()}
    counts = {key: int(value) for key, value in raw.items()}
    rest = n - sum(counts.values())
    for key in sorted(raw, key=lambda k: raw[k] - counts[k], reverse=True)[:rest]:
        counts[key] += 1
    labels = [key for key in shares for _ in range(counts[key])]
    rng.shuffle(labels)
    return labels


def _next_version(version: str) -> str:
    """The release a fix for ``version`` would ship in."""
    if version.endswith(" Beta"):
        return version.removesuffix(" Beta")
    index = OS_VERSIONS.index(version) if version in OS_VERSIONS else len(OS_VERSIONS) - 1
    return OS_VERSIONS[index + 1].removesuffix(" Beta") if index + 1 < len(OS_VERSIONS) else "4.3.0"


def _slots(rng: random.Random, lang: str, model: str | None = None, version: str | None = None) -> dict:
    """Values for every template slot, drawn from ``rng``."""
    t = _TEMPLATES[lang]
    if version is None:
        version = rng.choices(OS_VERSIONS, weights=_VERSION_WEIGHTS)[0]
    index = OS_VERSIONS.index(version) if version in OS_VERSIONS else len(OS_VERSIONS) - 1
    drain = rng.randint(12, 38)
    return {
        "model": model or rng.choice(DEVICE_MODELS),
        "version": version,
        "old_version": OS_VERSIONS[rng.randrange(index)] if index else "3.8.2",
        "next_version": _next_version(version),
        "drain": drain,
        "remain": 100 - drain,
        "left": rng.randint(25, 45),
        "low": rng.randint(5, 20),
        "sot": rng.randint(3, 4),
        "sot_old": rng.randint(6, 8),
        "hours": rng.randint(3, 9),
        "minutes": rng.choice([5, 10, 15, 20, 30]),
        "days": rng.randint(3, 15),
        "months": rng.randint(2, 14),
        "temp": rng.randint(43, 49),
        "brightness": rng.choice([10, 15, 20, 25, 30]),
        "pct": rng.choice([37, 45, 67, 88, 99]),
        "gb": rng.randint(28, 68),
        "speed": rng.randint(420, 880),
        "slow": rng.randint(25, 80),
        "vol": rng.choice([70, 80, 90]),
        "health": rng.randint(82, 89),
        "amount": rng.choice([20, 30, 50, 100, 200]),
        "money": f"{rng.choice(templates_en.CURRENCIES)}{rng.choice([5, 10, 20, 25, 40, 50, 100, 250])}",
        "hour": rng.choice(t.HOURS),
        "city": rng.choice(t.CITIES),
        "carrier": rng.choice(t.CARRIERS),
        "app": rng.choice(t.APPS),
        "earbuds": rng.choice(EARBUDS),
        "transit": rng.choice(t.TRANSIT),
        "place": rng.choice(t.PLACES),
    }


def _fill(template: str, slots: dict) -> str:
    return template.format_map(slots)


def _weighted_templates(lang: str, kind: str) -> tuple[list[tuple], list[int]]:
    templates = _TEMPLATES[lang].KINDS[kind]
    weights = [_TAG_WEIGHTS.get(tpl[0].split(" ")[0], 1) for tpl in templates]
    return templates, weights


# ---------------------------------------------------------------------------------------------
# Members

# (lang, skills) of the twelve staff: engineers and support, covering every board and tag.
_STAFF = [
    ("zh_CN", ("battery", "performance", "update", "zh_CN")),
    ("zh_CN", ("camera", "display", "zh_CN")),
    ("zh_CN", ("network", "bluetooth", "zh_CN")),
    ("zh_CN", ("apps", "notifications", "storage", "zh_CN")),
    ("zh_CN", ("wallet", "zh_CN", "en")),
    ("zh_CN", ("lumenos", "gestures", "audio", "zh_CN")),
    ("zh_CN", ("lounge", "lumenos", "zh_CN")),
    ("en", ("battery", "performance", "network", "en")),
    ("en", ("camera", "display", "audio", "en")),
    ("en", ("wallet", "en")),
    ("en", ("wallet", "apps", "notifications", "en")),
    ("en", ("lumenos", "bluetooth", "gestures", "storage", "update", "lounge", "en", "zh_CN")),
]
_LEADS = [
    ("zh_CN", ("lumenos", "battery", "camera", "apps", "zh_CN", "en")),
    ("en", ("wallet", "apps", "lounge", "en", "zh_CN")),
]
_ADMIN = ("zh_CN", ("lumenos", "lounge", "zh_CN", "en"))


def _clean_handle(handle: str) -> str:
    handle = "".join(ch if ch.isascii() and (ch.isalnum() or ch == "_") else "_" for ch in handle.lower())
    handle = handle.strip("_")[:30]
    return handle if len(handle) >= 3 else (handle + "_fan")[:30]


def _unique_handle(rng: random.Random, handle: str, taken: set[str]) -> str:
    handle = _clean_handle(handle)
    candidate = handle
    while candidate in taken:
        suffix = str(rng.randint(2, 999))
        candidate = handle[: 30 - len(suffix)] + suffix
    taken.add(candidate)
    return candidate


def _zh_person(rng: random.Random) -> tuple[str, str]:
    (surname, s_py), (given, g_py) = rng.choice(templates_zh.SURNAMES), rng.choice(templates_zh.GIVEN_NAMES)
    style = rng.randrange(5)
    if style == 0:
        handle = f"{s_py}_{g_py}"
    elif style == 1:
        handle = f"{s_py}{g_py}{rng.choice(['88', '666', '520', '007', '2020', '1995', '99'])}"
    elif style == 2:
        handle = f"{g_py}_{s_py}"
    elif style == 3:
        handle = f"{s_py}{g_py}"
    else:
        handle = f"{s_py}_{g_py}{rng.randint(1, 99)}"
    return handle, surname + given


def _en_person(rng: random.Random, fan: bool) -> tuple[str, str]:
    first, last = rng.choice(templates_en.FIRST_NAMES), rng.choice(templates_en.LAST_NAMES)
    style = rng.randrange(4)
    if style == 0:
        handle = f"{first}_{last}"
    elif style == 1:
        handle = f"{first[0]}{last}"
    elif style == 2:
        handle = f"{first}{last[0]}{rng.randint(1, 99)}"
    else:
        handle = f"{first}_{rng.randint(80, 99)}"
    display = f"{first} {last[0]}." if fan and rng.random() < 0.3 else f"{first} {last}"
    return handle, display


def make_members(rng: random.Random, n_fans: int = 60) -> list[MemberSpec]:
    """The demo members: 1 admin, 2 leads, 12 staff, then ``n_fans`` fans (about 55% Chinese)."""
    taken: set[str] = set()
    names: set[str] = set()
    members: list[MemberSpec] = []

    def add(role: str, lang: str, skills: tuple[str, ...], person: tuple[str, str]) -> None:
        handle, display = person
        names.add(display)
        members.append(MemberSpec(_unique_handle(rng, handle, taken), display, role, lang, skills))

    def person(lang: str, fan: bool = False) -> tuple[str, str]:
        # A few tries for a name nobody has yet; namesakes are fine in a big community.
        for _ in range(10):
            handle, display = _zh_person(rng) if lang == "zh_CN" else _en_person(rng, fan)
            if display not in names:
                break
        return handle, display

    add("admin", _ADMIN[0], _ADMIN[1], person(_ADMIN[0]))
    for lang, skills in _LEADS:
        add("lead", lang, skills, person(lang))
    for lang, skills in _STAFF:
        add("staff", lang, skills, person(lang))

    nicknames = list(templates_zh.NICKNAMES)
    rng.shuffle(nicknames)
    for lang in _quota(rng, n_fans, LANG_SHARES):
        if lang == "zh_CN" and nicknames and rng.random() < 0.5:
            display, handle = nicknames.pop()
            add("fan", lang, (), (handle, display))
        else:
            add("fan", lang, (), person(lang, fan=True))
    return members


# ---------------------------------------------------------------------------------------------
# Posts


def _template_post(rng: random.Random, kind: str, lang: str) -> PostSpec:
    t = _TEMPLATES[lang]
    templates, weights = _weighted_templates(lang, kind)
    template = rng.choices(templates, weights=weights)[0]
    tags = tuple(tag for tag in template[0].split(" ") if tag)
    main = tags[0] if tags else ""
    board = _BOARD_FOR_TAG.get(main, "lumenos")
    if kind != "bug" and len(template) > 3:
        board = template[3]
    if kind == "praise" and board != "wallet" and rng.random() < 0.3:
        board = "lounge"

    model = version = steps = None
    if kind == "bug":
        model = rng.choice(DEVICE_MODELS)
        version = rng.choices(OS_VERSIONS[1:], weights=_VERSION_WEIGHTS[1:])[0]
    slots = _slots(rng, lang, model, version)

    title = _fill(template[1], slots)
    prefix = t.TITLE_PREFIXES[kind]
    if prefix and not title.startswith(("【", "[")) and rng.random() < 0.2:
        title = prefix + title
    body = _fill(template[2], slots)
    if rng.random() < 0.35:
        body = rng.choice(t.OPENERS[kind]) + body
    if rng.random() < 0.35:
        body += rng.choice(t.CLOSERS[kind])
    if kind == "bug":
        steps = "\n".join(f"{number}. {_fill(step, slots)}" for number, step in enumerate(template[3], 1))
        if rng.random() < 0.3:
            body += _fill(t.BUG_FOOTER, slots)
    return PostSpec(
        kind=kind,
        board=board,
        title=_shorten(title, TITLE_MAX),
        body=body.strip(),
        lang=lang,
        tags=tags,
        device_model=model,
        os_version=version,
        steps_to_reproduce=steps,
    )


def _wallet_post(rng: random.Random, kind: str, text: str) -> PostSpec:
    body = text.strip()
    if rng.random() < 0.35:
        slots = _slots(rng, "en")
        body += " " + _fill(rng.choice(templates_en.WALLET_CONTEXT), slots)
    return PostSpec(kind=kind, board="wallet", title=_wallet_title(text), body=body, lang="en", tags=("wallet",))


def make_posts(rng: random.Random, n: int) -> list[PostSpec]:
    """``n`` posts: about 30% bugs, 25% suggestions, 20% complaints, 15% questions, 10% praise;
    about 55% in Simplified Chinese. Part of the English questions and complaints are Lumen
    Wallet posts taken from the Banking77 sample."""
    pools: dict[str, list[str]] = {"complaint": [], "question": []}
    for text, category in load_banking77_sample():
        pools[_wallet_kind(category)].append(text)
    queues = {kind: [] for kind in pools}

    def next_query(kind: str) -> str:
        if not queues[kind]:
            queues[kind] = list(pools[kind])
            rng.shuffle(queues[kind])
        return queues[kind].pop()

    kinds = _quota(rng, n, KIND_SHARES)
    langs = _quota(rng, n, LANG_SHARES)
    posts = []
    for kind, lang in zip(kinds, langs, strict=True):
        if lang == "en" and kind in _WALLET_SHARE and rng.random() < _WALLET_SHARE[kind]:
            posts.append(_wallet_post(rng, kind, next_query(kind)))
        else:
            posts.append(_template_post(rng, kind, lang))
    return posts


# ---------------------------------------------------------------------------------------------
# Replies


def _join(lang: str, parts: list[str]) -> str:
    parts = [part.strip() for part in parts if part.strip()]
    return ("" if lang == "zh_CN" else " ").join(parts)


def make_reply(rng: random.Random, post: PostSpec, staff: bool) -> str:
    """A reply to ``post`` in its language, from a staff member (logs, fix plans, workarounds)
    or from a fan ("same here", "me too on Lumen X3", extra details)."""
    lang = post.lang if post.lang in _TEMPLATES else "en"
    t = _TEMPLATES[lang]
    tag = post.tags[0] if post.tags and post.tags[0] in t.TIPS else ""
    slots = _slots(rng, lang, version=post.os_version)
    slots["next_version"] = _next_version(post.os_version or _CURRENT_VERSION)
    tip = _fill(t.TIPS[tag], slots)
    slots["tip"] = tip

    def pick(options: list[str]) -> str:
        return _fill(rng.choice(options), slots)

    category = _wallet_categories().get(post.title) if post.board == "wallet" and lang == "en" else None
    if category is not None:
        if staff:
            answers = templates_en.WALLET_STAFF[_WALLET_THEME.get(category, "payment")]
            return _join(lang, [rng.choice(("Hi!", "Hello!", "Hi there!")), pick(answers)])
        return pick(templates_en.WALLET_FAN)

    kind = post.kind
    if staff:
        parts = [pick(t.STAFF_OPENERS)]
        if kind == "bug":
            if rng.random() < 0.6:
                parts.append(tip)
            asks_for_logs = rng.random() < 0.7
            if asks_for_logs:
                parts.append(pick(t.STAFF_ASK_LOGS))
            if not asks_for_logs or rng.random() < 0.6:
                parts.append(pick(t.STAFF_FIX_PLANNED))
        elif kind == "complaint":
            parts.append(pick(t.STAFF_SORRY))
            if rng.random() < 0.5:
                parts.append(tip)
            parts.append(pick(t.STAFF_FIX_PLANNED if rng.random() < 0.3 else t.STAFF_ESCALATE))
        elif kind == "question":
            parts += [tip, pick(t.STAFF_QUESTION_END)]
        elif kind == "suggestion":
            parts.append(pick(t.STAFF_SUGGESTION))
        else:
            parts = [pick(t.STAFF_PRAISE)]
        return _join(lang, parts)

    if kind in ("bug", "complaint"):
        parts = []
        if rng.random() < 0.8:
            parts.append(pick(t.FAN_SAME))
        if rng.random() < 0.5:
            parts.append(pick(t.DETAILS.get(tag) or t.DETAILS[""]))
        if not parts or rng.random() < 0.25:
            parts.append(pick(t.FAN_TRIED))
        return _join(lang, parts)
    if kind == "question":
        return pick(t.FAN_QUESTION)
    if kind == "suggestion":
        return pick(t.FAN_SUGGESTION)
    return pick(t.FAN_PRAISE)
