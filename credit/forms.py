from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import Domain
from institutions.forms.filing import _Bootstrap

from .choices import BlacklistGround, EventKind, ListKind, RedGround, WatchGround

ALL_GROUNDS = [(_("失信联合惩戒对象名单"), BlacklistGround.choices), (_("重点关注对象名单"), WatchGround.choices),
               (_("红名单"), RedGround.choices)]


class StyledForm(_Bootstrap, forms.Form):
    """Bootstrap classes on every widget (the filing forms' helper)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class EventForm(StyledForm):
    kind = forms.ChoiceField(label=_("信用事项类型"), choices=EventKind.choices)
    domain = forms.ModelChoiceField(label=_("监管领域"), queryset=Domain.objects.order_by("id"))
    occurred_on = forms.DateField(label=_("决定（发生）日期"), widget=forms.DateInput(attrs={"type": "date"}))
    summary = forms.CharField(label=_("事由"), widget=forms.Textarea(attrs={"rows": 3}))
    legal_basis = forms.CharField(label=_("法律依据"), required=False)
    document_number = forms.CharField(label=_("文书编号"), required=False)
    is_public = forms.BooleanField(label=_("向社会公开"), required=False, initial=True)
    public_until = forms.DateField(label=_("公开截止日期"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))


class ProposeForm(StyledForm):
    list_kind = forms.ChoiceField(label=_("名单"), choices=ListKind.choices)
    ground = forms.ChoiceField(label=_("列入事由"), choices=ALL_GROUNDS)
    domain = forms.ModelChoiceField(label=_("事由所属监管领域"), queryset=Domain.objects.order_by("id"),
                                    required=False, help_text=_("失信联合惩戒对象名单必填（谁监管、谁列入）。"))
    facts = forms.CharField(label=_("事实"), widget=forms.Textarea(attrs={"rows": 3}))
    legal_basis = forms.CharField(label=_("依据（不填则按事由对应条款）"), required=False)


class NoteForm(StyledForm):
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ObjectionForm(StyledForm):
    objection = forms.CharField(label=_("陈述申辩（异议）"), widget=forms.Textarea(attrs={"rows": 3}))


class RepairForm(StyledForm):
    statement = forms.CharField(label=_("整改情况说明"), widget=forms.Textarea(attrs={"rows": 3}))
    proof = forms.FileField(label=_("整改证明材料"), required=False)
