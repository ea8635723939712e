from django.urls import path

from wangge.campaigns import evidence_views, ledger_views, plan_views, public_views, report_views, tree_views, views

app_name = "campaigns"
urlpatterns = [
    # The campaign (views.py); who answers for what and readiness (report_views.py)
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/status/", views.campaign_status, name="campaign_status"),
    path("campaigns/<int:pk>/responsibilities/", report_views.responsibilities, name="responsibilities"),
    path("campaigns/<int:pk>/readiness/", report_views.readiness, name="readiness"),
    # The indicator tree and its decomposition (tree_views.py); its Excel form and the binder (ledger_views.py)
    path("campaigns/<int:pk>/indicators/", tree_views.indicator_tree, name="indicator_tree"),
    path("campaigns/<int:pk>/indicators/new/", tree_views.indicator_create, name="indicator_create"),
    path("campaigns/<int:pk>/indicators/export.xlsx", ledger_views.indicator_export, name="indicator_export"),
    path("campaigns/<int:pk>/indicators/import/", ledger_views.indicator_import, name="indicator_import"),
    path("campaigns/indicators/template.xlsx", ledger_views.indicator_template, name="indicator_template"),
    path("campaigns/indicators/<int:pk>/", tree_views.indicator_detail, name="indicator_detail"),
    path("campaigns/indicators/<int:pk>/edit/", tree_views.indicator_edit, name="indicator_edit"),
    path("campaigns/indicators/<int:pk>/delete/", tree_views.indicator_delete, name="indicator_delete"),
    path("campaigns/indicators/<int:pk>/assign/", tree_views.assignment_save, name="assignment_save"),
    path("campaigns/assignments/<int:pk>/delete/", tree_views.assignment_delete, name="assignment_delete"),
    path("campaigns/assignments/<int:pk>/score/", tree_views.assignment_score, name="assignment_score"),
    # Work plans (plan_views.py)
    path("campaigns/<int:pk>/plans/new/", plan_views.plan_create, name="plan_create"),
    path("campaigns/plans/<int:pk>/", plan_views.plan_detail, name="plan_detail"),
    path("campaigns/plans/<int:pk>/phases/new/", plan_views.phase_create, name="phase_create"),
    path("campaigns/phases/<int:pk>/edit/", plan_views.phase_edit, name="phase_edit"),
    path("campaigns/phases/<int:pk>/delete/", plan_views.phase_delete, name="phase_delete"),
    path("campaigns/plans/<int:pk>/tasks/new/", plan_views.task_create, name="task_create"),
    path("campaigns/tasks/<int:pk>/edit/", plan_views.task_edit, name="task_edit"),
    path("campaigns/tasks/<int:pk>/status/", plan_views.task_status, name="task_status"),
    # The evidence ledger (evidence_views.py)
    path("campaigns/<int:pk>/evidence/", evidence_views.evidence_list, name="evidence_list"),
    path("campaigns/<int:pk>/evidence/new/", evidence_views.evidence_create, name="evidence_create"),
    path("campaigns/<int:pk>/binder.zip", ledger_views.binder, name="binder"),
    path("campaigns/evidence/<int:pk>/", evidence_views.evidence_detail, name="evidence_detail"),
    path("campaigns/evidence/<int:pk>/file/", evidence_views.evidence_download, name="evidence_download"),
    path("campaigns/evidence/<int:pk>/withdraw/", evidence_views.evidence_withdraw, name="evidence_withdraw"),
    # Public supervision (public_views.py)
    path("p/campaigns/<str:code>/", public_views.public_campaign, name="public_campaign"),
]
