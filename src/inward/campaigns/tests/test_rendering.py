"""Compiling variants once and rendering them per reader: values, links, safety."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from inward.campaigns.forms import VariantForm
from inward.campaigns.rendering import (
    ALLOWED_VARIABLES,
    MAX_BODY_LENGTH,
    MAX_SUBJECT_LENGTH,
    ROW_FIELDS,
    MessageContext,
    TemplateProblem,
    compile_variant,
    message_context,
    message_context_from_row,
)
from inward.campaigns.rendering.fragments import fragment_spans
from inward.campaigns.rendering.placeholders import placeholders_substitute
from inward.directory.models import Department, Person, Site

ROW: dict[str, Any] = {
    "id": 7,
    "email": "sjoukje@example.com",
    "first_name": "Sjoukje",
    "last_name": "de Vries",
    "preferred_name": "",
    "job_title": "Analyst",
    "department__path": "Finance/Reporting",
    "site__name": "Leeuwarden",
    "language": "fy",
    "time_zone": "Europe/Amsterdam",
    "manager__first_name": "Robert",
    "manager__preferred_name": "Bob",
    "manager__last_name": "Fryslân",
    "manager__email": "bob@example.com",
}
NO_MANAGER = {**ROW, "manager__first_name": None, "manager__preferred_name": None}
NO_MANAGER |= {"manager__last_name": None, "manager__email": None}
LINKS = {"preferences": "https://inward.example.com/p/7?s=a&t=b", "feed": "https://i/feed/"}


def context(row: dict[str, Any] | None = None, **kwargs: Any) -> MessageContext:
    kwargs.setdefault("links", LINKS)
    return message_context_from_row(row or ROW, **kwargs)


def render(body: str, subject: str = "Hello", row: dict[str, Any] | None = None) -> Any:
    return compile_variant(subject=subject, body=body).render(context(row))


def test_it_fills_in_every_whitelisted_variable() -> None:
    body = "\n".join(f"{path}=[{{{{ {path} }}}}]" for path in ALLOWED_VARIABLES)
    compiled = compile_variant(subject="x", body=body)
    ctx = context(persona_wiifm="A certificate", campaign_name="Python")
    text = compiled.render(ctx).text
    assert "person.first_name=[Sjoukje]" in text
    assert "person.name=[Sjoukje de Vries]" in text
    assert "person.department=[Reporting]" in text
    assert "manager=[Bob Fryslân]" in text
    assert "manager.first_name=[Bob]" in text
    assert "manager.email=[bob@example.com]" in text
    assert "persona.wiifm=[A certificate]" in text
    assert "campaign.name=[Python]" in text
    assert f"links.preferences=[{LINKS['preferences']}]" in text
    assert compiled.variables == frozenset(ALLOWED_VARIABLES)


def test_it_prefers_the_preferred_name_and_falls_back_to_the_email() -> None:
    ctx = context({**ROW, "preferred_name": "Sjouk"})
    assert ctx.get("person.first_name") == "Sjouk"
    assert ctx.get("person.name") == "Sjouk de Vries"
    nameless = context({"email": "x@example.com"})
    assert nameless.get("person.name") == "x@example.com"
    assert nameless.get("manager") == ""


@pytest.mark.django_db
def test_it_gives_the_same_context_from_a_person_and_from_their_row() -> None:
    department = Department.objects.create(name="Reporting", path="Finance/Reporting")
    site = Site.objects.create(name="Leeuwarden")
    manager = Person.objects.create(
        email="bob@example.com", first_name="Robert", preferred_name="Bob", last_name="Fryslân"
    )
    person = Person.objects.create(
        email="sjoukje@example.com",
        first_name="Sjoukje",
        last_name="de Vries",
        job_title="Analyst",
        department=department,
        site=site,
        language="fy",
        time_zone="Europe/Amsterdam",
        manager=manager,
    )
    row = Person.objects.filter(pk=person.pk).values(*ROW_FIELDS).get()
    kwargs: dict[str, Any] = {"persona_wiifm": "w", "campaign_name": "c", "links": LINKS}
    from_row = message_context_from_row(row, **kwargs)
    assert message_context(person=person, **kwargs) == from_row
    loner = Person.objects.create(email="loner@example.com")
    loner_row = Person.objects.filter(pk=loner.pk).values(*ROW_FIELDS).get()
    assert message_context(person=loner) == message_context_from_row(loner_row)


def test_it_turns_markdown_into_html_and_text() -> None:
    body = (
        "# Welcome {{ person.first_name }}\n\n"
        "A **bold** and *quiet* [course](https://learn.example.com/c?a=1&b=2).\n\n"
        "- one\n- two\n\n"
        "1. first\n2. second\n\n"
        "> quoted\n\n"
        "    code\n"
    )
    message = render(body)
    assert "<h1>Welcome Sjoukje</h1>" in message.html
    assert "<strong>bold</strong>" in message.html
    assert 'href="https://learn.example.com/c?a=1&amp;b=2"' in message.html
    assert 'rel="noopener"' in message.html
    assert message.text == (
        "Welcome Sjoukje\n\n"
        "A bold and quiet course (https://learn.example.com/c?a=1&b=2).\n\n"
        "- one\n- two\n\n"
        "1. first\n2. second\n\n"
        "> quoted\n\n"
        "code\n"
    )


def test_it_escapes_personal_values_in_html_but_not_in_text() -> None:
    row = {**ROW, "first_name": '<script>alert("x")</script> & Co'}
    message = render("Hi {{ person.first_name }}", subject="Hi {{ person.first_name }}", row=row)
    assert "<script>" not in message.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in message.html
    assert message.text == 'Hi <script>alert("x")</script> & Co\n'
    assert message.subject == 'Hi <script>alert("x")</script> & Co'


def test_it_shows_raw_html_in_markdown_as_text() -> None:
    message = render('<img src=x onerror="alert(1)"> <b>bold</b>\n\n<script>alert(1)</script>')
    assert "<img" not in message.html
    assert "<script" not in message.html
    assert "&lt;b&gt;bold&lt;/b&gt;" in message.html


def test_it_does_not_run_markdown_over_personal_values() -> None:
    row = {**ROW, "first_name": "*Bob* [x](https://evil.example.com)"}
    message = render("Hi {{ person.first_name }}", row=row)
    assert "<em>" not in message.html
    assert "evil.example.com" not in message.html.split("Hi ")[0]
    assert "<a" not in message.html


def test_it_wraps_every_written_link_with_the_tracking_callback() -> None:
    body = (
        "[Enrol](https://learn.example.com/a) or <https://learn.example.com/b>, "
        "again [enrol](https://learn.example.com/a), [mail us](mailto:hr@example.com), "
        "[your preferences]({{ links.preferences }})"
    )
    compiled = compile_variant(subject="x", body=body)
    assert compiled.links == ["https://learn.example.com/a", "https://learn.example.com/b"]
    calls: list[tuple[int, str]] = []

    def track(index: int, url: str) -> str:
        calls.append((index, url))
        return f"https://inward.example.com/t/{index}?s=1&x=2"

    message = compiled.render(context(), link=track)
    assert message.html.count('href="https://inward.example.com/t/0?s=1&amp;x=2"') == 2
    assert 'href="https://inward.example.com/t/1?s=1&amp;x=2"' in message.html
    assert 'href="mailto:hr@example.com"' in message.html
    assert 'href="https://inward.example.com/p/7?s=a&amp;t=b"' in message.html
    assert "Enrol (https://inward.example.com/t/0?s=1&x=2)" in message.text
    assert "or https://inward.example.com/t/1?s=1&x=2," in message.text
    assert "mail us (hr@example.com)" in message.text
    assert set(calls) == {(0, "https://learn.example.com/a"), (1, "https://learn.example.com/b")}


def test_it_refuses_a_personalised_address_that_is_not_a_web_or_mail_link() -> None:
    compiled = compile_variant(
        subject="x", body="[Ask](mailto:{{ manager.email }}) [me]({{ person.job_title }})"
    )
    message = compiled.render(context({**ROW, "job_title": "javascript:alert(1)"}))
    assert 'href="mailto:bob@example.com"' in message.html
    assert 'href="#"' in message.html
    assert "javascript" not in message.html.split(">me<")[0]
    sneaky = {**ROW, "manager__email": 'x" onmouseover="alert(1)'}
    message = compiled.render(context(sneaky))
    assert 'href="mailto:x&#34; onmouseover=&#34;alert(1)"' in message.html


def test_it_leaves_no_empty_paragraph_for_a_false_condition() -> None:
    body = (
        "Hi {{ person.first_name }},\n\n"
        "{% if manager %}\n"
        "Ask {{ manager.first_name }} about it.\n"
        "{% endif %}\n\n"
        "- one\n"
        "{% if person.site == 'Sneek' %}\n"
        "- two\n"
        "{% endif %}\n"
        "- three\n\n"
        "Bye"
    )
    compiled = compile_variant(subject="x", body=body)
    with_manager = compiled.render(context())
    assert "<p>Ask Bob about it.</p>" in with_manager.html
    assert with_manager.text == "Hi Sjoukje,\n\nAsk Bob about it.\n\n- one\n- three\n\nBye\n"
    without = compiled.render(context(NO_MANAGER))
    assert "<p></p>" not in without.html
    assert "Ask" not in without.html
    assert without.text == "Hi Sjoukje,\n\n- one\n- three\n\nBye\n"
    assert "two" not in without.html


def test_it_moves_a_condition_out_of_a_paragraph_that_starts_with_a_variable() -> None:
    body = "{% if manager %}\n{{ manager.first_name }} knows.\n{% endif %}\n\n{{ persona.wiifm }}"
    compiled = compile_variant(subject="x", body=body)
    assert compiled.render(context()).html == "<p>Bob knows.</p>"
    assert compiled.render(context(NO_MANAGER)).html == ""
    assert compiled.render(context(NO_MANAGER)).text == "\n"


def test_it_keeps_the_subject_on_one_line() -> None:
    row = {**ROW, "first_name": "Anna\r\nBcc: victim@example.com"}
    compiled = compile_variant(subject="Hi {{ person.first_name }}\n!\t", body="x")
    assert compiled.render(context(row)).subject == "Hi Anna Bcc: victim@example.com !"


def test_it_keeps_literal_braces_literal() -> None:
    message = render("Use { and } freely, {x}, even {{ '{{' }} and {{ '{%' }}")
    assert "<p>Use &#123; and } freely, &#123;x}, even {{ and {%</p>" in message.html
    assert message.text == "Use { and } freely, {x}, even {{ and {%\n"


@pytest.mark.parametrize(
    ("subject", "body", "field", "line", "says"),
    [
        ("Hi {{ person.nope }}", "x", "subject", 1, "Unknown variable “person.nope”"),
        ("Hi", "one\n\n{{ person.salary }}", "body", 3, "Unknown variable “person.salary”"),
        ("Hi", "{{ person.__class__ }}", "body", 1, "Names starting with “_”"),
        ("Hi", "{{ _l0 }}", "body", 1, "Names starting with “_”"),
        ("Hi", "{% include 'secrets.html' %}", "body", 1, "{% include %}"),
        ("Hi", "{% import 'x.html' as x %}", "body", 1, "{% import %}"),
        ("Hi", "{% extends 'x.html' %}", "body", 1, "{% extends %}"),
        ("Hi", "{% for x in person %}{% endfor %}", "body", 1, "{% for %}"),
        ("Hi", "{% set x = 1 %}", "body", 1, "{% set %}"),
        ("Hi", "{% raw %}{{ x }}{% endraw %}", "body", 1, "{% raw %}"),
        ("Hi", "{{ person.first_name|safe }}", "body", 1, "filter “safe”"),
        ("Hi", "{{ person.first_name.upper() }}", "body", 1, "calling functions"),
        ("Hi", "{{ person['first_name'] }}", "body", 1, "[…] lookups"),
        ("Hi", "{{ manager is defined }}", "body", 1, "“is” tests"),
        ("Hi", "{% filter upper %}x{% endfilter %}", "body", 1, "{% filter %}"),
        ("Hi", "{{ links.course }}", "body", 1, "Unknown variable “links.course”"),
        ("Hi {{", "x", "subject", 1, "syntax error"),
        ("Hi", "a\n{% if manager %}", "body", 2, "syntax error"),
        ("Hi", "a\n[home](/feed/)", "body", 2, "Links must start with https://"),
        ("Hi", "[f](ftp://x.example.com)", "body", 1, "Links must start with https://"),
        ("Hi", "![i](data:image/png;base64,AA)", "body", 1, "Images must come from"),
        ("Hi", "[x](https://a/{% if manager %}b{% endif %})", "body", 1, "no {% … %} tags"),
    ],
)
def test_it_refuses_what_a_message_may_not_do(
    subject: str, body: str, field: str, line: int, says: str
) -> None:
    with pytest.raises(TemplateProblem) as caught:
        compile_variant(subject=subject, body=body)
    assert caught.value.field == field
    assert caught.value.line == line
    assert says in caught.value.message


def test_it_accepts_extra_links_when_asked_to() -> None:
    compiled = compile_variant(subject="x", body="[Go]({{ links.course }})", extra_links=["course"])
    message = compiled.render(context(links={"course": "https://learn.example.com/c"}))
    assert 'href="https://learn.example.com/c"' in message.html
    with pytest.raises(TemplateProblem, match=r"No value was given for links\.course\."):
        compiled.render(context())


def test_it_allows_conditions_and_simple_filters() -> None:
    body = (
        "{{ person.first_name|upper }} {{ person.job_title|default('colleague', true) }} "
        "{{ 'yes' if person.language in ['fy', 'nl'] else 'no' }} "
        "{{ person.site ~ '!' }}"
    )
    message = render(body, row={**ROW, "job_title": ""})
    assert message.text == "SJOUKJE colleague yes Leeuwarden!\n"


MARKDOWNISH = st.lists(
    st.sampled_from([*"ab *_#>-`[]()!<>&\"'\n.1é🎉", "https://x.example.com", "    "]),
    max_size=60,
).map("".join)
VALUES = st.text(st.characters(blacklist_categories=["Cs", "Cc", "Zl", "Zp"]), max_size=40)


@settings(max_examples=300, deadline=None)
@given(before=MARKDOWNISH, after=MARKDOWNISH, value=VALUES)
def test_it_renders_any_value_safely_into_any_markdown(before: str, after: str, value: str) -> None:
    body = f"{before} {{{{ person.first_name }}}} {after}"
    try:
        compiled = compile_variant(subject="{{ person.first_name }}", body=body)
    except TemplateProblem as problem:
        assert "Links must start" in problem.message or "Images must" in problem.message
        return
    message = compiled.render(context({**ROW, "first_name": value, "preferred_name": ""}))
    assert str(escape(value)) in message.html
    assert "<script" not in message.html
    assert value.strip() in message.text
    assert "\n" not in message.subject and "\r" not in message.subject


@pytest.mark.parametrize(
    "body",
    [
        "[link {% if manager %}text](https://x.example.com){% endif %}",
        "`{% if manager %}` code {% endif %}",
        "```\n{% if manager %}\n```\n{% endif %}",
        "> {% if manager %}quoted\n\nnot quoted {% else %} x {% endif %}",
    ],
)
def test_it_refuses_a_condition_that_would_leave_an_element_open(body: str) -> None:
    with pytest.raises(TemplateProblem, match="different part of the message"):
        compile_variant(subject="x", body=body)


class WellFormed(HTMLParser):
    VOID = frozenset({"br", "hr", "img"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.broken = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.broken = True


def well_formed(html: str) -> bool:
    parser = WellFormed()
    parser.feed(html)
    parser.close()
    return not parser.broken and not parser.open


PIECES = st.lists(
    st.sampled_from(
        [
            *["a", " ", "\n", "\n\n", "- ", "1. ", "> ", "`", "```\n", "**", "_", "# ", "    "],
            *["[x](https://x.example.com)", "[", "](https://y.example.com)", "{{ manager }}"],
        ]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(before=PIECES, inside=PIECES, otherwise=st.none() | PIECES, after=PIECES)
def test_it_keeps_the_html_well_formed_whichever_way_a_condition_goes(
    before: str, inside: str, otherwise: str | None, after: str
) -> None:
    middle = inside if otherwise is None else f"{inside}{{% else %}}{otherwise}"
    body = f"{before}{{% if manager %}}{middle}{{% endif %}}{after}"
    try:
        compiled = compile_variant(subject="x", body=body)
    except TemplateProblem as problem:
        # Refusing is fine, with one of the two messages that say why; a code fence opened
        # inside the condition swallows the {% endif %}, which only Jinja notices.
        assert (
            "different part of the message" in problem.message
            or "do not fit the Markdown around them" in problem.message
        )
        return
    assert well_formed(compiled.render(context()).html)
    assert well_formed(compiled.render(context(NO_MANAGER)).html)


# --- Bounds: what a manager writes must not exhaust the server ------------------------------
# Time limits here are generous correctness guards (the work takes milliseconds), not
# benchmarks: before the bounds, these inputs took seconds or gigabytes.


def compile_within(seconds: float, *, subject: str = "x", body: str = "x") -> Any:
    """``compile_variant``'s result or TemplateProblem, failing when it takes too long."""
    started = time.perf_counter()
    try:
        outcome: Any = compile_variant(subject=subject, body=body)
    except TemplateProblem as problem:
        outcome = problem
    assert time.perf_counter() - started < seconds
    return outcome


def test_it_refuses_the_replace_filter_that_grows_text_tenfold_per_use() -> None:
    body = "{{ 'aaaaaaaaaa'" + "|replace('a', 'aaaaaaaaaa')" * 6 + " }}"
    problem = compile_within(1, body=body)

    assert isinstance(problem, TemplateProblem)
    assert "filter “replace” is not allowed" in problem.message


@pytest.mark.parametrize(
    "body",
    [
        "{{ 'a' * 1000000000 }}",
        "{{ 'ab' * 10 ** 9 }}",
        "{{ ['a'] * 1000000000 }}",
        "{{ 'a' + 'b' }}",
        "{{ 10 ** 10 ** 10 }}",
        "{{ '%s' % person.first_name }}",
    ],
)
def test_it_refuses_arithmetic_so_constants_cannot_be_blown_up(body: str) -> None:
    problem = compile_within(1, body=body)

    assert isinstance(problem, TemplateProblem)
    assert "not allowed in messages" in problem.message


def test_it_refuses_urlencode_on_text_that_is_already_encoded() -> None:
    # Each pass makes every "%" three characters again: 150 passes over 10,000 of them
    # took ten seconds to compile.
    for body in (
        "{{ person.first_name|urlencode|urlencode }}",
        "{{ (person.first_name|urlencode|upper)|urlencode }}",
        "{{ person.email|default(person.first_name|urlencode)|urlencode }}",
        "{{ '" + "%" * 10000 + "'" + "|urlencode" * 150 + " }}",
    ):
        problem = compile_within(1, body=body)
        assert isinstance(problem, TemplateProblem)
        assert "only once" in problem.message
    assert render("{{ person.email|urlencode }}").text == "sjoukje%40example.com\n"


def test_it_cuts_any_filters_output_at_the_length_of_a_whole_body() -> None:
    # "🎉" is one character and twelve once encoded (%F0%9F%8E%89).
    text = render("{{ '" + "🎉" * 5000 + "'|urlencode }}").text

    assert len(text.strip()) == MAX_BODY_LENGTH


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("{{ person.first_name|upper(1) }}", "“upper” takes no arguments"),
        ("{{ person.first_name|trim(5) }}", "“trim” takes no arguments"),
        ("{{ person.first_name|truncate('a') }}", "“length” of the filter “truncate”"),
        ("{{ person.first_name|truncate(5, end=3) }}", "“end” of the filter “truncate”"),
        ("{{ person.first_name|truncate(5, length=3) }}", "does not take these arguments"),
        ("{{ person.first_name|truncate(5, colour='red') }}", "does not take these arguments"),
        ("{{ person.first_name|default('a', true, 3) }}", "does not take these arguments"),
    ],
)
def test_it_refuses_filter_arguments_that_would_fail_at_send_time(body: str, says: str) -> None:
    # These compiled, then raised TypeError for every reader (a 500 in the preview).
    with pytest.raises(TemplateProblem) as caught:
        compile_variant(subject="x", body=body)

    assert says in caught.value.message


def test_it_accepts_the_filter_arguments_that_work() -> None:
    body = (
        "{{ person.job_title|truncate(5, true, '…', 0) }} {{ person.site|d('here', boolean=true) }}"
    )
    assert render(body).text == "Anal… Leeuwarden\n"


def test_it_refuses_a_number_too_long_for_python() -> None:
    problem = compile_within(1, body="{{ " + "9" * 5000 + " }}")

    assert isinstance(problem, TemplateProblem)
    assert "number in the template is too long" in problem.message


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("x", "{{ " + "(" * 300 + "person.first_name" + ")" * 300 + " }}"),
        ("x", "{{ " + "(" * 2000 + "1" + ")" * 2000 + " }}"),
        ("x", "{{" * 10000),
        # Deep enough for Python's compiler to refuse Jinja's code, not deep enough for
        # a RecursionError: SyntaxError and IndentationError.
        ("x", "{{ person.first_name" + "|upper" * 250 + " }}"),
        ("x", "{{ " + "not " * 250 + "person.first_name }}"),
        ("x", "{% if manager %}" * 150 + "x" + "{% endif %}" * 150),
        ("{{ " + "(" * 140 + "1" + ")" * 140 + " }}", "x"),
    ],
)
def test_it_refuses_nesting_too_deep_to_compile(subject: str, body: str) -> None:
    problem = compile_within(1, subject=subject, body=body)

    assert isinstance(problem, TemplateProblem)
    assert "nested too deeply" in problem.message
    assert problem.field == ("subject" if subject != "x" else "body")


def test_it_refuses_a_subject_or_body_over_the_length_limit() -> None:
    with pytest.raises(TemplateProblem) as caught:
        compile_variant(subject="s" * (MAX_SUBJECT_LENGTH + 1), body="x")
    assert (caught.value.field, caught.value.message) == (
        "subject",
        "The subject is too long: at most 300 characters.",
    )
    with pytest.raises(TemplateProblem) as caught:
        compile_variant(subject="x", body="b" * (MAX_BODY_LENGTH + 1))
    assert (caught.value.field, caught.value.message) == (
        "body",
        "The message is too long: at most 20000 characters.",
    )


def test_it_counts_a_line_break_as_one_character_as_the_browser_does() -> None:
    compile_variant(subject="s" * MAX_SUBJECT_LENGTH, body="b\r\n" * (MAX_BODY_LENGTH // 2))


def test_it_compiles_the_longest_body_quickly() -> None:
    line = "Hi {{ person.first_name }}, see [the course](https://learn.example.com/c).\n\n"
    body = (line * (MAX_BODY_LENGTH // len(line)))[:MAX_BODY_LENGTH]

    assert not isinstance(compile_within(2, body=body), TemplateProblem)


@pytest.mark.parametrize("opening", ["{{", "{%", "{#"])
def test_it_finds_the_fragments_of_unclosed_tags_in_linear_time(opening: str) -> None:
    started = time.perf_counter()
    placeholders_substitute("x {{ person.first_name }} " + opening * 10000)

    assert time.perf_counter() - started < 1


TAGGY = st.lists(st.sampled_from(["{", "}", "%", "#", "{{", "}}", "{%", "%}", "a", "\n"])).map(
    "".join
)


@settings(max_examples=500, deadline=None)
@given(source=TAGGY)
def test_it_finds_the_same_fragments_as_the_lazy_regular_expression(source: str) -> None:
    expected = [m.span() for m in re.finditer(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", source, re.S)]
    assert list(fragment_spans(source)) == expected


@pytest.mark.django_db
def test_it_stops_the_editor_at_the_same_limits() -> None:
    form = VariantForm(data={"subject": "s", "body": "b\r\n" * (MAX_BODY_LENGTH // 2)})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["body"] == ("b\n" * (MAX_BODY_LENGTH // 2)).strip()
    assert f'maxlength="{MAX_BODY_LENGTH}"' in str(form["body"])
    assert f'maxlength="{MAX_SUBJECT_LENGTH}"' in str(form["subject"])

    too_long = VariantForm(data={"subject": "s", "body": "b" * (MAX_BODY_LENGTH + 1)})
    assert not too_long.is_valid()
    assert "body" in too_long.errors
