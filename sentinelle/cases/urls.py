"""Case management pages, under the "cases" namespace (mounted at /cas/). No names in URLs: public ids."""

from django.urls import path

from sentinelle.cases.views import access, cases, casework, home, more, persons, referrals, retention, tracing

app_name = "cases"

urlpatterns = [
    path("", home.my_cases, name="my-cases"),
    path("tableau-de-bord/", home.dashboard, name="dashboard"),
    path("dossiers/", home.case_list_page, name="case-list"),
    path("transferts/", home.transfers, name="transfers"),
    path("personnes/recherche/", persons.person_find, name="person-find"),
    path("personnes/<uuid:public_id>/", persons.person_detail, name="person-detail"),
    path("personnes/<uuid:public_id>/ouvrir-dossier/", persons.case_open, name="case-open"),
    path("dossiers/<uuid:public_id>/", cases.case_detail, name="case-detail"),
    path("dossiers/<uuid:public_id>/evaluation/", cases.assessment_add, name="assessment-add"),
    path("dossiers/<uuid:public_id>/consentement/", cases.consent_add, name="consent-add"),
    path("dossiers/<uuid:public_id>/note/", cases.note_add, name="note-add"),
    path("dossiers/<uuid:public_id>/suivi/", cases.follow_up_add, name="follow-up-add"),
    path("dossiers/<uuid:public_id>/cloture/", cases.case_close, name="case-close"),
    path("dossiers/<uuid:public_id>/orienter/", referrals.referral_create, name="referral-create"),
    path("taches/<uuid:public_id>/faite/", cases.task_done, name="task-done"),
    path("approbations/<uuid:public_id>/", cases.approval_decide, name="approval-decide"),
    path("references/<uuid:public_id>/imprimer/", referrals.referral_print, name="referral-print"),
    path("references/<uuid:public_id>/pdf/", referrals.referral_pdf, name="referral-pdf"),
    path("references/<uuid:public_id>/annuler/", referrals.referral_cancel, name="referral-cancel"),
    path("references/<uuid:public_id>/retour/", referrals.referral_feedback, name="referral-feedback"),
    path("references-recues/", referrals.referral_queue, name="referral-queue"),
    path("references-recues/<uuid:public_id>/", referrals.referral_received, name="referral-received"),
    path("references-recues/<uuid:public_id>/accepter/", referrals.referral_accept, name="referral-accept"),
    path("references-recues/<uuid:public_id>/refuser/", referrals.referral_decline, name="referral-decline"),
    path(
        "references-recues/<uuid:public_id>/terminer/", referrals.referral_complete, name="referral-complete"
    ),
    path("dossiers/<uuid:public_id>/consultations/", casework.who_saw, name="who-saw"),
    path("dossiers/<uuid:public_id>/plan/", casework.plan_edit, name="plan-edit"),
    path("plans/<uuid:public_id>/soumettre/", casework.plan_submit, name="plan-submit"),
    path("dossiers/<uuid:public_id>/assistance/", casework.assistance_add, name="assistance-add"),
    path("assistance/<uuid:public_id>/approuver/", casework.assistance_approve, name="assistance-approve"),
    path("assistance/<uuid:public_id>/versee/", casework.assistance_disburse, name="assistance-disburse"),
    path("dossiers/<uuid:public_id>/transfert/", casework.transfer_request, name="transfer-request"),
    path("transferts/<uuid:public_id>/reponse/", casework.transfer_answer, name="transfer-answer"),
    path("bris-de-glace/", access.break_glass, name="break-glass"),
    path("demandes-d-acces/", access.access_request_create, name="access-request-create"),
    path("demandes-d-acces/recues/", access.access_request_list, name="access-request-queue"),
    path(
        "demandes-d-acces/<uuid:public_id>/decision/",
        access.access_request_decide,
        name="access-request-decide",
    ),
    path("exports/dossiers/", casework.export_cases, name="export-cases"),
    path("exports/registre-vbg/", casework.export_incident_recorder, name="export-incident-recorder"),
    path("recherche-familiale/", tracing.tracing_list, name="tracing-list"),
    path("recherche-familiale/nouvelle/", tracing.tracing_create, name="tracing-create"),
    path("recherche-familiale/<uuid:public_id>/", tracing.tracing_detail, name="tracing-detail"),
    path("recherche-familiale/<uuid:public_id>/cloturer/", tracing.tracing_close, name="tracing-close"),
    path("correspondances/<str:match_id>/decision/", tracing.match_decide, name="match-decide"),
    path("dossiers/<uuid:public_id>/reunification/", tracing.reunification_add, name="reunification-add"),
    path("personnes/<uuid:public_id>/fusionner/", more.person_merge, name="person-merge"),
    path(
        "personnes/<uuid:public_id>/fusions/<str:merge_id>/annuler/",
        more.person_merge_cancel,
        name="person-merge-undo",
    ),
    path(
        "dossiers/<uuid:public_id>/consentements/<uuid:consent_id>/retirer/",
        more.consent_withdraw,
        name="consent-withdraw",
    ),
    path("dossiers/<uuid:public_id>/collaborateurs/", more.case_collaborators, name="case-collaborators"),
    path("dossiers/<uuid:public_id>/rouvrir/", more.case_reopen, name="case-reopen"),
    path("dossiers/<uuid:public_id>/conservation/", retention.retention_hold, name="case-retention-hold"),
    path(
        "dossiers/<uuid:public_id>/conservation/lever/",
        retention.retention_release,
        name="case-retention-release",
    ),
    path("statistiques/references/", tracing.referral_stats, name="referral-statistics"),
]
