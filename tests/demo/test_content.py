"""The demo community content: reproducible, in the advertised proportions, and well-formed."""

from __future__ import annotations

import csv
import random
import re
from collections import Counter
from pathlib import Path

import pytest

from fanloop.demo import content, templates_en, templates_zh

HANDLE = re.compile(r"^[a-z0-9_]{3,30}$")
CJK = re.compile(r"[\u4e00-\u9fff]")
BOARD_SLUGS = {slug for slug, *_ in content.BOARDS}
TAG_SLUGS = {slug for slug, *_ in content.TAGS}
ORIGINAL_TRAIN = Path(__file__).resolve().parents[3] / "shared" / "data" / "banking77_train.csv"


@pytest.fixture(scope="module")
def posts() -> list[content.PostSpec]:
    return content.make_posts(random.Random(2024), 1000)


@pytest.fixture(scope="module")
def members() -> list[content.MemberSpec]:
    return content.make_members(random.Random(2024))


# Reproducibility ------------------------------------------------------------------------------


def test_same_seed_same_output():
    assert content.make_posts(random.Random(7), 300) == content.make_posts(random.Random(7), 300)
    assert content.make_members(random.Random(7), 40) == content.make_members(random.Random(7), 40)
    post = content.make_posts(random.Random(7), 1)[0]
    replies = [[content.make_reply(random.Random(3), post, staff=s) for s in (True, False)] for _ in range(2)]
    assert replies[0] == replies[1]


def test_different_seeds_differ():
    assert content.make_posts(random.Random(1), 50) != content.make_posts(random.Random(2), 50)
    assert content.make_members(random.Random(1)) != content.make_members(random.Random(2))


def test_global_random_state_untouched():
    random.seed(99)
    before = random.getstate()
    content.make_members(random.Random(1))
    posts = content.make_posts(random.Random(1), 100)
    content.make_reply(random.Random(1), posts[0], staff=True)
    assert random.getstate() == before


# Members --------------------------------------------------------------------------------------


def test_member_roles_and_counts(members):
    roles = Counter(member.role for member in members)
    assert roles == {"admin": 1, "lead": 2, "staff": 12, "fan": 60}
    assert len(content.make_members(random.Random(1), n_fans=5)) == 1 + 2 + 12 + 5


def test_handles_unique_and_valid():
    for seed in range(5):
        specs = content.make_members(random.Random(seed), n_fans=300)
        handles = [member.handle for member in specs]
        assert len(handles) == len(set(handles))
        assert all(HANDLE.match(handle) for handle in handles), [h for h in handles if not HANDLE.match(h)]


def test_member_names_and_languages(members):
    assert all(member.display_name.strip() for member in members)
    assert {member.lang for member in members} == {"zh_CN", "en"}
    zh_fans = [m for m in members if m.role == "fan" and m.lang == "zh_CN"]
    en_fans = [m for m in members if m.role == "fan" and m.lang == "en"]
    assert 0.4 < len(zh_fans) / 60 < 0.7 and en_fans
    assert all(CJK.search(m.display_name) for m in zh_fans if not m.display_name.startswith("Lumen"))
    assert not any(CJK.search(m.display_name) for m in en_fans)
    team = [m for m in members if m.role != "fan"]
    assert len({m.display_name for m in team}) == len(team)


def test_staff_skills_cover_every_board_and_tag(members):
    allowed = BOARD_SLUGS | TAG_SLUGS | set(content.LANGS)
    staff = [member for member in members if member.role in ("staff", "lead", "admin")]
    for member in staff:
        assert member.skills and set(member.skills) <= allowed
        assert member.lang in member.skills
    covered = {skill for member in staff for skill in member.skills}
    assert BOARD_SLUGS | TAG_SLUGS | {"zh_CN", "en"} <= covered
    assert all(member.skills == () for member in members if member.role == "fan")


# Posts ----------------------------------------------------------------------------------------


def test_counts_and_kind_shares(posts):
    assert len(posts) == 1000
    assert content.make_posts(random.Random(1), 0) == []
    assert len(content.make_posts(random.Random(1), 7)) == 7
    kinds = Counter(post.kind for post in posts)
    assert set(kinds) == set(content.KINDS)
    for kind, share in content.KIND_SHARES.items():
        assert abs(kinds[kind] / len(posts) - share) < 0.02, (kind, kinds[kind])


def test_language_shares(posts):
    langs = Counter(post.lang for post in posts)
    assert set(langs) == {"zh_CN", "en"}
    assert 0.5 < langs["zh_CN"] / len(posts) < 0.6


def test_bug_fields_only_on_bugs(posts):
    for post in posts:
        if post.kind == "bug":
            assert post.device_model in content.DEVICE_MODELS
            assert post.os_version in content.OS_VERSIONS
            lines = post.steps_to_reproduce.splitlines()
            assert len(lines) >= 2
            assert [line.split(".")[0] for line in lines] == [str(i) for i in range(1, len(lines) + 1)]
            assert all(re.match(r"^\d+\. \S", line) for line in lines)
        else:
            assert post.device_model is None and post.os_version is None and post.steps_to_reproduce is None


def test_chinese_posts_are_chinese_and_english_posts_are_not(posts):
    for post in posts:
        text = post.title + post.body
        if post.lang == "zh_CN":
            assert CJK.search(post.title), post.title
            assert len(CJK.findall(post.body)) >= 8, post.body
            if post.steps_to_reproduce:
                assert CJK.search(post.steps_to_reproduce)
        else:
            assert not CJK.search(text), text


def test_titles_bodies_within_limits_and_fully_filled(posts):
    for post in posts:
        assert content.TITLE_MIN <= len(post.title) <= content.TITLE_MAX, post.title
        assert post.title == post.title.strip() and "\n" not in post.title
        assert post.body.strip() and len(post.body) <= 20_000
        for text in (post.title, post.body, post.steps_to_reproduce or ""):
            assert not re.search(r"\{[a-z_]+\}", text), text


def test_boards_and_tags_are_known(posts):
    assert {post.board for post in posts} == BOARD_SLUGS
    for post in posts:
        assert set(post.tags) <= TAG_SLUGS
        assert len(post.tags) <= 5
    assert all(post.tags for post in posts if post.board != "lounge")


def test_recurring_pain_points(posts):
    tags = Counter(tag for post in posts for tag in post.tags[:1])
    top = {tag for tag, _ in tags.most_common(4)}
    assert {"battery", "notifications"} <= top
    drain = [p for p in posts if p.lang == "zh_CN" and "耗电" in p.title + p.body]
    assert len(drain) >= 20


def test_wallet_posts_from_banking77(posts):
    sample = content.load_banking77_sample()
    texts = {text.strip() for text, _ in sample}
    wallet = [post for post in posts if post.board == "wallet" and post.lang == "en"]
    from_sample = [post for post in wallet if any(post.body.startswith(text) for text in texts)]
    assert len(from_sample) >= 30
    for post in from_sample:
        assert post.kind in ("question", "complaint")
        assert post.tags == ("wallet",)
        assert len(post.title) <= content.WALLET_TITLE_MAX
        source = next(text for text in texts if post.body.startswith(text))
        if len(" ".join(source.split())) <= content.WALLET_TITLE_MAX:
            assert post.title == " ".join(source.split())
        else:
            assert post.title.endswith("…")
    # Chinese fans talk about Lumen Wallet too, from the Chinese templates.
    assert any(post.board == "wallet" and post.lang == "zh_CN" for post in posts)


# Templates and replies -----------------------------------------------------------------------


@pytest.mark.parametrize("module", [templates_zh, templates_en])
def test_every_template_renders(module):
    lang = "zh_CN" if module is templates_zh else "en"
    rng = random.Random(5)
    for kind, templates in module.KINDS.items():
        assert kind in content.KINDS
        for template in templates:
            slots = content._slots(rng, lang)
            tags = template[0].split()
            assert set(tags) <= TAG_SLUGS, template
            for text in template[1:3]:
                assert text.format_map(slots)
            if kind == "bug":
                assert len(template) == 4 and all(step.format_map(slots) for step in template[3])
            elif len(template) == 4:
                assert template[3] in BOARD_SLUGS


def test_chinese_templates_are_plentiful():
    for kind in content.KINDS:
        assert len(templates_zh.KINDS[kind]) >= 40, kind
        assert len({t[1] for t in templates_zh.KINDS[kind]}) == len(templates_zh.KINDS[kind])


def test_replies_match_language_and_role(posts):
    rng = random.Random(11)
    for post in posts[:300]:
        for staff in (True, False):
            reply = content.make_reply(rng, post, staff=staff)
            assert reply.strip() and not re.search(r"\{[a-z_]+\}", reply)
            if post.lang == "zh_CN":
                assert CJK.search(reply), reply
            else:
                assert not CJK.search(reply), reply


def test_staff_bug_replies_ask_for_logs_or_promise_a_fix():
    rng = random.Random(3)
    bugs = [post for post in content.make_posts(random.Random(3), 200) if post.kind == "bug"]
    markers = ("日志", "修复", "logs", "fix")
    for post in bugs:
        reply = content.make_reply(rng, post, staff=True)
        assert any(marker in reply for marker in markers), reply


# The shipped Banking77 sample -----------------------------------------------------------------


def test_banking77_sample_shape():
    sample = content.load_banking77_sample()
    assert len(sample) == 400
    categories = Counter(category for _, category in sample)
    assert len(categories) == 25 and set(categories.values()) == {16}
    assert all(text.strip() for text, _ in sample)


@pytest.mark.skipif(not ORIGINAL_TRAIN.exists(), reason="Banking77 training file not available")
def test_banking77_sample_is_reproducible_and_unchanged():
    with ORIGINAL_TRAIN.open(encoding="utf-8", newline="") as handle:
        rows = [(row["text"], row["category"]) for row in csv.DictReader(handle)]
    sample = content.load_banking77_sample()
    categories = sorted({category for _, category in sample})
    rng = random.Random(77)
    expected = []
    for category in categories:
        pool = [row for row in rows if row[1] == category]
        expected += [pool[i] for i in sorted(rng.sample(range(len(pool)), 16))]
    assert list(sample) == expected


def test_wallet_replies_follow_the_query_topic():
    sample = content.load_banking77_sample()
    assert {category for _, category in sample} <= set(content._WALLET_THEME)
    rng = random.Random(4)
    post = content.PostSpec("question", "wallet", content._wallet_title(sample[0][0]), sample[0][0], "en", ("wallet",))
    assert sample[0][1] == "Refund_not_showing_up"
    assert all("refund" in content.make_reply(rng, post, staff=True) for _ in range(5))
