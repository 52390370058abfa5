"""Finding the changes fast on a redline page (issue 19, item 5), as a reader meets them:
the page opens with the list of changed sections (name, kind, core-rights badge, a link
to each), its table of contents lists them, each run of unchanged sections is one bar
("2 unchanged sections") that opens to show them, "Previous change" / "Next change"
lead from change to change by keyboard alone, a changed heading reads as a heading, and
axe-core finds nothing serious at 1280 and 390 px. In English and in Chinese.

History: a privacy policy of thirteen sections (one with two levels of subsections) in
English and Chinese; 1.0 published 1 September 2026, 2.0 on 30 September 2026 (in force
from 16 October 2026). 2.0 rewords the heading of "How We Use It" (renamed), changes only the
address of the cookie-settings link (the next section: two changes in a row), removes
"International Transfers" (renumbering what follows: not a change), adds "Automated
Decisions", adds a right to the core-rights "Your Rights" and shortens the deadline of
its sub-subsection "Deadlines" (a level-4 heading: Material's small grey h5). The site is
built once for the module, as of 20 October 2026.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import build_site, serving
from playwright.sync_api import Page, expect
from test_accessibility import axe_findings, sideways
from tests_support import PolicyRepo, build, policy_file

MKDOCS_YML = """\
site_name: Shop
theme:
  name: material
plugins:
  - search
  - policy:
      languages: [en, zh]
"""

EN_V1 = """\
This policy explains how Example Shop handles your personal information.

## 1. Who We Are {#who}

Example Shop Ltd., 1 Harbour Road, Shanghai, runs the shop and this website.

## 2. Scope {#scope}

This policy applies to the website, the app and every order placed through them.

## 3. Information We Collect {#collection .core-rights}

We collect your name, email address and postal address when you order.

## 4. How We Use It {#use}

We use your information to deliver orders and to answer your questions.

## 5. Cookies {#cookies}

You choose which cookies we set in the [cookie settings](https://shop.example/cookies).

## 6. Sharing {#sharing .core-rights}

We share your postal address with the carrier that delivers your order.

## 7. International Transfers {#transfers}

We store your data in Singapore and may send it to processors abroad under standard
contractual clauses.

## 8. Retention {#retention}

We keep order records for five years.

## 9. Security {#security}

Your data is encrypted in transit and at rest.

## 10. Children {#children}

Our services are not directed at children under 14.

## 11. Your Rights {#rights .core-rights}

You may access and correct your personal information.

### How to Ask {#asking}

Use the form in your account settings.

#### Deadlines {#deadlines}

We answer within 30 days.

## 12. Changes to This Policy {#changes}

We announce every change on this website before it takes effect.

## 13. Contact {#contact}

Write to privacy@example.com.
"""

EN_V2 = (
    EN_V1.replace("https://shop.example/cookies", "https://shop.example/privacy/cookies")
    .replace("## 4. How We Use It {#use}", "## 4. How We Use Your Information {#use}")
    .replace(
        "## 7. International Transfers {#transfers}\n\nWe store your data in Singapore and may send it "
        "to processors abroad under standard\ncontractual clauses.\n\n",
        "",
    )
    .replace("## 8. Retention", "## 7. Retention")
    .replace("## 9. Security", "## 8. Security")
    .replace(
        "## 10. Children",
        "## 9. Automated Decisions {#automated}\n\nNo decision about you is made by a computer "
        "alone: a person reviews every refused order.\n\n## 10. Children",
    )
    .replace(
        "You may access and correct your personal information.",
        "You may access and correct your personal information. You may also ask us to delete your account.",
    )
    .replace("within 30 days", "within 15 days")
)

ZH_V1 = """\
本政策说明示例商店如何处理您的个人信息。

## 一、我们是谁 {#who}

示例商店有限公司（上海市海港路 1 号）经营本商店和本网站。

## 二、适用范围 {#scope}

本政策适用于本网站、本应用以及通过它们下的每一笔订单。

## 三、我们收集的信息 {#collection .core-rights}

您下单时，我们收集您的姓名、电子邮件地址和邮寄地址。

## 四、我们如何使用信息 {#use}

我们使用您的信息来配送订单和回答您的问题。

## 五、网站存储 {#cookies}

您可以在[存储设置](https://shop.example/cookies)中选择我们在您的浏览器中存储什么。

## 六、共享 {#sharing .core-rights}

我们与为您配送订单的承运人共享您的邮寄地址。

## 七、跨境传输 {#transfers}

我们将您的数据存储在新加坡，并可能依据标准合同条款将其发送给境外的处理者。

## 八、保存期限 {#retention}

我们将订单记录保存五年。

## 九、安全 {#security}

您的数据在传输和存储时均经过加密。

## 十、儿童 {#children}

我们的服务不面向未满十四周岁的儿童。

## 十一、您的权利 {#rights .core-rights}

您可以查阅和更正您的个人信息。

### 如何提出请求 {#asking}

请使用账户设置中的表格。

#### 答复期限 {#deadlines}

我们在三十天内答复。

## 十二、本政策的变更 {#changes}

每次变更生效之前，我们都会在本网站上公告。

## 十三、联系我们 {#contact}

请写信至 privacy@example.com。
"""

ZH_V2 = (
    ZH_V1.replace("https://shop.example/cookies", "https://shop.example/privacy/cookies")
    .replace("## 四、我们如何使用信息 {#use}", "## 四、我们如何使用您的信息 {#use}")
    .replace(
        "## 七、跨境传输 {#transfers}\n\n我们将您的数据存储在新加坡，并可能依据标准合同条款将其发送给境外的处理者。\n\n",
        "",
    )
    .replace("## 八、保存期限", "## 七、保存期限")
    .replace("## 九、安全", "## 八、安全")
    .replace(
        "## 十、儿童",
        "## 九、自动化决策 {#automated}\n\n任何关于您的决定都不会仅由计算机作出：每一笔被拒绝的订单都由人工复核。\n\n## 十、儿童",
    )
    .replace("您可以查阅和更正您的个人信息。", "您可以查阅和更正您的个人信息。您也可以要求我们删除您的账户。")
    .replace("三十天内", "十五天内")
)

AS_OF = "2026-10-20"
PAGE = "privacy/changes/1.0-to-2.0/"
PAGE_ZH = "zh/privacy/changes/1.0-to-2.0/"

# What the reader is told, in the order of the redline.
CHANGES = [
    # (section id, name, kinds, core rights)
    ("use", "4. How We Use Your Information", ["Changed", "Renamed"], False),
    ("cookies", "5. Cookies", ["Changed"], False),
    ("transfers", "7. International Transfers", ["Removed"], False),
    ("automated", "9. Automated Decisions", ["Added"], False),
    ("rights", "11. Your Rights", ["Changed"], True),
    ("deadlines", "Deadlines", ["Changed"], True),
]
CHANGES_ZH = [
    ("use", "四、我们如何使用您的信息", ["修改", "重命名"], False),
    ("cookies", "五、网站存储", ["修改"], False),
    ("transfers", "七、跨境传输", ["删除"], False),
    ("automated", "九、自动化决策", ["新增"], False),
    ("rights", "十一、您的权利", ["修改"], True),
    ("deadlines", "答复期限", ["修改"], True),
]
FOLDS = [
    ("4 unchanged sections", ["preamble", "who", "scope", "collection"]),
    ("1 unchanged section", ["sharing"]),
    ("2 unchanged sections", ["retention", "security"]),
    ("1 unchanged section", ["children"]),
    ("1 unchanged section", ["asking"]),
    ("2 unchanged sections", ["changes", "contact"]),
]


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("redline-nav")
    repo = PolicyRepo.create(root / "repo")
    repo.write("mkdocs.yml", MKDOCS_YML)
    repo.write("policy/privacy.md", policy_file(EN_V1, published="2026-09-01"))
    repo.write("policy/privacy.zh.md", policy_file(ZH_V1, title="隐私政策"))
    repo.commit("2026-09-01T10:00:00+08:00", "Privacy policy 1.0 in English and Chinese")
    repo.write(
        "policy/privacy.md",
        policy_file(
            EN_V2,
            version="2.0",
            published="2026-09-30",
            effective="2026-10-16",
            summary="A new right to deletion; transfers abroad end.",
        ),
    )
    repo.write(
        "policy/privacy.zh.md",
        policy_file(ZH_V2, version="2.0", title="隐私政策", summary="新增删除权；不再向境外传输。"),
    )
    repo.commit("2026-09-30T10:00:00+08:00", "Privacy policy 2.0 in English and Chinese")
    return build_site(repo.path, AS_OF, root / "site")


@pytest.fixture(scope="module")
def site(site_dir: Path) -> Iterator[str]:
    with serving(site_dir) as server:
        yield server.url


@pytest.fixture
def as_built(browser, site: str) -> Iterator[Page]:
    """The page as its file has it: Chromium reads the built HTML with scripts off."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def change_list(page: Page):
    return page.locator(".policy-changes li")


def heading_of(page: Page, section: str):
    """A section's heading in the redline (the one readers and screen readers see)."""
    return page.locator(f".policy-redline [data-section='{section}'] > .redline-heading")


def focused_href(page: Page) -> str | None:
    return page.evaluate("() => document.activeElement.getAttribute('href')")


# ------------------------------------------------------------------ the built page


@pytest.mark.parametrize(("path", "changes"), [(PAGE, CHANGES), (PAGE_ZH, CHANGES_ZH)])
def test_the_page_opens_with_each_changed_section_its_kind_its_badge_and_a_link_to_it(
    as_built: Page, site: str, path: str, changes: list
):
    as_built.goto(site + path)
    headings = as_built.locator("article h2")
    # The list comes first: before the redline.
    names = ["Changed sections", "Redline"] if path == PAGE else ["变更的章节", "修订对照"]
    expect(headings).to_have_text([re.compile("^" + name) for name in names])
    items = change_list(as_built)
    expect(items).to_have_count(len(changes))
    for item, (section, name, kinds, core) in zip(items.all(), changes, strict=True):
        link = item.get_by_role("link")
        expect(link).to_have_text(name)
        expect(item.locator(".policy-kind")).to_have_text(kinds)
        expect(item.locator(".policy-badge--core")).to_have_count(1 if core else 0)
        # The link leads to the section's heading in the redline, on this page.
        href = link.get_attribute("href")
        assert href == f"#change-{section}"
        target = as_built.locator(f"[id='{href[1:]}']")
        expect(target).to_have_count(1)
        expect(target).to_have_role("heading")
        expect(heading_of(as_built, section)).to_have_attribute("id", href[1:])
    # A renamed section says what it was called.
    renamed = items.locator(".policy-changes__renamed")
    expect(renamed).to_have_count(1)
    expect(renamed).to_have_text("previously “How We Use It”" if path == PAGE else "原为“我们如何使用信息”")
    expect(items.filter(has=as_built.locator(".policy-changes__renamed"))).to_contain_text(changes[0][1])
    counts = as_built.locator(".policy-changes__counts")
    if path == PAGE:
        expect(counts).to_have_text("Added (1) · Removed (1) · Changed (4) · Renamed (1)")
        expect(as_built.locator(".policy-core-rights")).to_contain_text("Your Rights")
    else:
        expect(counts).to_have_text("新增 (1) · 删除 (1) · 修改 (4) · 重命名 (1)")


def test_each_run_of_unchanged_sections_is_one_bar_that_says_how_many(as_built: Page, site: str):
    as_built.goto(site + PAGE)
    folds = as_built.locator(".policy-redline details.redline-fold")
    expect(folds.locator("> summary")).to_have_text([label for label, _ in FOLDS])
    for fold, (_, sections) in zip(folds.all(), FOLDS, strict=True):
        inside = fold.locator("[data-section]")
        assert [s.get_attribute("data-section") for s in inside.all()] == sections
        # Closed: the text of the unchanged sections is there to read, behind the bar.
        expect(fold).not_to_have_attribute("open", "")
        expect(inside.first.locator(".redline-body")).to_be_hidden()
    # Every unchanged section is inside a fold: no bar per section between the changes.
    unchanged = as_built.locator(".policy-redline [data-status=unchanged]")
    expect(unchanged).to_have_count(sum(len(sections) for _, sections in FOLDS))
    expect(as_built.locator(".policy-redline details.redline-fold [data-status=unchanged]")).to_have_count(
        unchanged.count()
    )
    # Between two changes, one bar at most.
    blocks = as_built.locator("article > .policy-redline")
    kinds = " ".join(
        "fold" if b.locator("> details.redline-fold").count() else "change" for b in blocks.all()
    )
    # Two changes in a row ("use", "cookies") have no bar between them.
    assert kinds == "fold change change fold change fold change fold change fold change fold"


def test_the_chinese_bars_and_navigation_say_it_in_chinese(as_built: Page, site: str):
    as_built.goto(site + PAGE_ZH)
    folds = as_built.locator(".policy-redline details.redline-fold > summary")
    expect(folds).to_have_text(
        [
            "4 个章节未变更",
            "1 个章节未变更",
            "2 个章节未变更",
            "1 个章节未变更",
            "1 个章节未变更",
            "2 个章节未变更",
        ]
    )
    first = as_built.locator(".redline-nav").first
    expect(first).to_have_text("第 1 处变更，共 6 处 下一处变更")
    last = as_built.locator(".redline-nav").last
    expect(last).to_have_text("第 6 处变更，共 6 处 上一处变更")
    toc = as_built.get_by_role("navigation", name="修订对照")
    expect(toc.get_by_role("link")).to_have_text([name for _, name, _, _ in CHANGES_ZH])
    redline = " ".join(as_built.locator(".policy-changes, .policy-redline").all_inner_texts())
    for english in ("Changed", "Added", "Removed", "unchanged", "Previous", "Next", "Change "):
        assert english not in redline


def test_the_table_of_contents_lists_the_changed_sections_under_the_redline(as_built: Page, site: str):
    as_built.goto(site + PAGE)
    toc = as_built.locator("nav.md-nav--secondary")
    expect(toc.get_by_role("link")).to_have_text(["Changed sections", "Redline", *[c[1] for c in CHANGES]])
    entries = toc.get_by_role("navigation", name="Redline").get_by_role("link")
    expect(entries).to_have_text([name for _, name, _, _ in CHANGES])
    for entry, (section, _, _, _) in zip(entries.all(), CHANGES, strict=True):
        # Each entry leads to where the change's block starts.
        target = entry.get_attribute("href")
        assert target and target.startswith("#")
        after = as_built.locator(f"[id='{target[1:]}'] + .policy-redline > [data-section='{section}']")
        expect(after).to_have_count(1)
    # The headings the table of contents is made of take no room and are read by no one:
    # a reader (and a screen reader) meets each changed heading once.
    expect(as_built.locator("h3.redline-toc")).to_have_count(len(CHANGES))
    for toc_heading in as_built.locator("h3.redline-toc").all():
        expect(toc_heading).to_be_hidden()
    expect(as_built.get_by_role("heading", name=re.compile(r"^5\. Cookies"))).to_have_count(1)


def test_each_change_says_where_it_stands_and_links_the_previous_and_the_next(as_built: Page, site: str):
    as_built.goto(site + PAGE)
    navs = as_built.locator(".policy-redline .redline-nav")
    expect(navs).to_have_count(len(CHANGES))
    ids = [section for section, _, _, _ in CHANGES]
    for number, (nav, section) in enumerate(zip(navs.all(), ids, strict=True)):
        expect(nav).to_contain_text(f"Change {number + 1} of {len(CHANGES)}")
        # After the change it follows, inside the same block.
        block = nav.locator("xpath=..")
        expect(block.locator(f"> [data-section='{section}']")).to_have_count(1)
        previous = nav.get_by_role("link", name="Previous change")
        following = nav.get_by_role("link", name="Next change")
        if number:
            expect(previous).to_have_attribute("href", f"#change-{ids[number - 1]}")
        else:
            expect(previous).to_have_count(0)
        if number + 1 < len(ids):
            expect(following).to_have_attribute("href", f"#change-{ids[number + 1]}")
        else:
            expect(following).to_have_count(0)


# ------------------------------------------------------------------ in the browser


def test_next_change_and_previous_change_by_keyboard_alone_reach_every_change_in_order_and_back(
    visitor: Page, site: str
):
    visitor.goto(site + PAGE)
    ids = [section for section, _, _, _ in CHANGES]
    # From the list at the top: Enter on the first change's link.
    change_list(visitor).first.get_by_role("link").focus()
    visitor.keyboard.press("Enter")
    reached = [ids[0]]
    expect(heading_of(visitor, ids[0])).to_be_focused()

    def step(name: str, section: str) -> None:
        """Tab to the link `name` after the change that has the focus, then Enter."""
        for _ in range(8):
            visitor.keyboard.press("Tab")
            if visitor.evaluate("() => document.activeElement.textContent") == name:
                break
        else:
            pytest.fail(f"no {name!r} link within 8 Tabs of {section}")
        link = visitor.locator(":focus")
        # The link is visibly focused and belongs to the change the reader is on.
        expect(link).to_have_css("outline-style", "solid")
        expect(
            link.locator("xpath=..").locator("xpath=..").locator(f"> [data-section='{section}']")
        ).to_have_count(1)
        visitor.keyboard.press("Enter")

    for current, following in zip(ids, ids[1:], strict=False):
        step("Next change", current)
        heading = heading_of(visitor, following)
        expect(heading).to_be_focused()
        expect(heading).to_be_in_viewport()
        expect(heading).to_have_css("outline-style", "solid")  # the focus shows
        reached.append(following)
    assert reached == ids
    # The last change has no "Next change": the next Tabs leave the redline's changes.
    assert "Next change" not in visitor.locator(".redline-nav").last.inner_text()

    back = [ids[-1]]
    for current, previous in zip(reversed(ids), list(reversed(ids))[1:], strict=False):
        step("Previous change", current)
        heading = heading_of(visitor, previous)
        expect(heading).to_be_focused()
        expect(heading).to_be_in_viewport()
        back.append(previous)
    assert back == list(reversed(ids))


def test_a_bar_opens_by_keyboard_and_shows_the_unchanged_sections_it_holds(visitor: Page, site: str):
    visitor.goto(site + PAGE)
    bar = visitor.locator(".policy-redline details.redline-fold").nth(2)
    summary = bar.locator("> summary")
    expect(summary).to_have_text("2 unchanged sections")
    retention = bar.get_by_text("We keep order records for five years.")
    expect(retention).to_be_hidden()
    summary.focus()
    expect(summary).to_have_css("outline-style", "solid")
    visitor.keyboard.press("Enter")
    # Open, the bar shows both sections with their text, not two more bars to open.
    expect(retention).to_be_visible()
    expect(bar.get_by_text("Your data is encrypted in transit and at rest.")).to_be_visible()
    expect(bar.get_by_text("7. Retention")).to_be_visible()
    visitor.keyboard.press("Enter")
    expect(retention).to_be_hidden()


def test_a_link_to_an_unchanged_section_opens_its_bar(visitor: Page, site: str):
    visitor.goto(site + PAGE + "#change-security")
    section = visitor.locator(".policy-redline [data-section=security]")
    expect(section.get_by_text("Your data is encrypted in transit and at rest.")).to_be_in_viewport()
    # The table of contents' entry of a change brings the focus to the change's heading.
    visitor.goto(site + PAGE)
    visitor.locator("nav.md-nav--secondary").get_by_role("link", name="11. Your Rights").click()
    expect(heading_of(visitor, "rights")).to_be_focused()
    expect(heading_of(visitor, "rights")).to_be_in_viewport()


def test_a_changed_heading_is_at_least_as_prominent_as_the_text(visitor: Page, site: str):
    visitor.goto(site + PAGE)
    text = visitor.locator(".policy-redline [data-section=cookies] .redline-body p").first
    text_size = float(text.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    text_colour = text.evaluate("e => getComputedStyle(e).color")
    # "## 5. Cookies" is an h3, "### How to Ask" would be an h4, "#### Deadlines" an h5:
    # Material shows h5 small, grey and in capitals.
    for section, tag in (("cookies", "H3"), ("rights", "H3"), ("deadlines", "H5")):
        heading = heading_of(visitor, section)
        expect(heading).to_have_js_property("tagName", tag)
        style = heading.evaluate(
            "e => { const s = getComputedStyle(e);"
            " return {size: parseFloat(s.fontSize), weight: Number(s.fontWeight), colour: s.color,"
            " transform: s.textTransform}; }"
        )
        assert style["size"] >= text_size, (section, style, text_size)
        assert style["weight"] >= 700, (section, style)
        assert style["colour"] == text_colour, (section, style, text_colour)
        assert style["transform"] == "none", (section, style)


@pytest.mark.parametrize("width", (1280, 390))
def test_the_redline_page_has_no_serious_axe_finding_with_a_bar_open_or_a_change_focused(
    visitor: Page, site: str, width: int
):
    visitor.set_viewport_size({"width": width, "height": 900})
    findings: dict[str, list[str]] = {}
    for path in (PAGE, PAGE_ZH):
        visitor.goto(site + path)
        expect(visitor.get_by_role("heading", level=1)).to_be_visible()
        findings[path] = axe_findings(visitor)
        assert sideways(visitor) == 0, f"{path} scrolls sideways at {width} px"
        visitor.locator(".policy-redline details.redline-fold > summary").first.click()
        change_list(visitor).nth(1).get_by_role("link").focus()
        visitor.keyboard.press("Enter")
        expect(visitor.locator(".policy-redline .redline-heading:focus")).to_have_count(1)
        findings[path + " (a bar open, a change focused)"] = axe_findings(visitor)
        assert sideways(visitor) == 0, f"{path} with a bar open scrolls sideways at {width} px"
    found = {page: lines for page, lines in findings.items() if lines}
    assert not found, f"axe-core at {width} px: {found}"


# ------------------------------------------------------------------ a heading's own characters


MARKDOWN_IN_HEADINGS = """\
Intro.

## 1. Keep *all* data_for_you {#_keep_}

We keep it.

## 2. Braces {like} these # and \\*stars\\* {#"quoted'}

Old text.

## 3. Contact {#contact}

Write to us.
"""


def test_a_heading_with_markdown_characters_and_an_odd_id_is_one_entry_of_the_table_of_contents(
    policy_repo: PolicyRepo, policyctl, tmp_path: Path
):
    """The table of contents' headings are Markdown written from the policy's headings and
    ids: emphasis, braces, a hash, escaped stars, underscores and quotes in an id neither
    break them nor leak an attribute list onto the page."""
    policy_repo.publish(
        "policy/privacy.md",
        policy_file(MARKDOWN_IN_HEADINGS, published="2026-09-01"),
        "2026-09-01T10:00:00+08:00",
    )
    revised = MARKDOWN_IN_HEADINGS.replace("We keep it.", "We keep it longer.").replace(
        "Old text.", "New text."
    )
    policy_repo.publish(
        "policy/privacy.md",
        policy_file(revised, version="2.0", published="2026-09-30", summary="Longer."),
        "2026-09-30T10:00:00+08:00",
    )
    build(policyctl, policy_repo, AS_OF, tmp_path / "site")
    page = (tmp_path / "site" / PAGE / "index.html").read_text(encoding="utf-8")
    toc = page[page.index('aria-label="Redline"') :]
    toc = toc[: toc.index("</nav>")]
    entries = re.findall(
        r'<a href="#([^"]+)" class="md-nav__link">\s*<span class="md-ellipsis">\s*(.*?)\s*</span>', toc, re.S
    )
    assert [name for _, name in entries] == [
        "1. Keep all data_for_you",
        "2. Braces {like} these # and *stars*",
    ]
    article = page[page.index("<article") : page.index("</article>")]
    for target, _ in entries:
        assert f'id="{target}"' in article  # the entry leads somewhere on the page
    assert "{:" not in article and "redline-toc }" not in article
    assert article.count('class="redline-toc"') == 2
