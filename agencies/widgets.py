"""Form widgets that write their markup in Python instead of through the form renderer's templates.

Django renders every widget through a template (and a <select> through one more per <option>), ~100 µs a widget
and ~80 µs an option: the public complaint form — a hundred districts in a province, a dozen fields — spent
8–10 ms of every page there. These write the same markup, byte for byte (tests/agencies/test_widgets.py
compares them with Django's templates); the context still comes from Django's own `get_context`.
"""

import html

from django import forms
from django.utils.safestring import mark_safe


def _escape(value) -> str:
    """conditional_escape() without its lazy-string wrapper, which costs more than the escaping itself."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def _attrs(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html: False leaves the attribute out, True writes its name alone."""
    return "".join(f" {_escape(name)}" if value is True else f' {_escape(name)}="{_escape(value)}"'
                   for name, value in attrs.items() if value is not False)


def _input(widget: dict) -> str:  # django/forms/widgets/input.html
    value = "" if widget["value"] is None else f' value="{_escape(widget["value"])}"'
    return f'<input type="{_escape(widget["type"])}" name="{_escape(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _textarea(widget: dict) -> str:  # django/forms/widgets/textarea.html
    value = _escape(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _file(widget: dict) -> str | None:  # django/forms/widgets/clearable_file_input.html, with no file yet
    if widget.get("is_initial"):
        return None
    return f'<input type="{_escape(widget["type"])}" name="{_escape(widget["name"])}"{_attrs(widget["attrs"])}>'


# The form renderer strips what a template renders, so none of these ends with the templates' newline.
_WRITERS = {f"django/forms/widgets/{name}.html": writer for name, writer in [
    ("input", _input), ("text", _input), ("date", _input), ("hidden", _input), ("checkbox", _input),
    ("textarea", _textarea), ("clearable_file_input", _file)]}


class PlainRendered:
    """Mixin for a widget whose template is one of _WRITERS; any other template goes through the renderer."""

    def _render(self, template_name, context, renderer=None):
        writer = _WRITERS.get(template_name)
        markup = writer(context["widget"]) if writer is not None else None
        if markup is None:
            return super()._render(template_name, context, renderer)
        return mark_safe(markup)  # every value in it is escaped


class TextInput(PlainRendered, forms.TextInput):
    pass


class HiddenInput(PlainRendered, forms.HiddenInput):
    pass


class DateInput(PlainRendered, forms.DateInput):
    pass


class CheckboxInput(PlainRendered, forms.CheckboxInput):
    pass


class Textarea(PlainRendered, forms.Textarea):
    pass


class ClearableFileInput(PlainRendered, forms.ClearableFileInput):
    pass


class Select(forms.Select):
    """A single <select> (no optgroups): the options are written directly, without Select.optgroups' dict and
    attribute copy per option."""

    def render(self, name, value, attrs=None, renderer=None):
        parts = [f'<select name="{_escape(name)}"{_attrs(self.build_attrs(self.attrs, attrs))}>']
        parts += [f'\n  <option value="{_escape(option)}"{selected}>{_escape(label)}</option>\n'
                  for option, selected, label in self._options(value)]
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # every value above is escaped

    def _options(self, value):
        chosen, has_selected = self.format_value(value), False
        for option, label in self.choices:
            if isinstance(label, (list, tuple)):
                raise ValueError("this Select writes no optgroups")
            option = "" if option is None else option
            # As Select.optgroups: only the first option with the value is selected.
            selected = not has_selected and str(option) in chosen
            has_selected |= selected
            yield option, " selected" if selected else "", label
