"""Load a clearly labelled SYNTHETIC consensus demo: an update of the ICHOM heart-failure set, and one synthetic data
source with a made-up feasibility report on the set's published version (outcomes/data/demo_feasibility_report.json),
so the set page shows the network view.

Idempotent: a second run creates nothing new (it resets the demo logins' passwords and issues fresh links for the
two panelists it prints, since only the hash of a link is stored). Every row it creates is marked is_demo or lives
under the demo process; no real person or rating is involved.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from outcomes.models import ConsensusProcess, CoreOutcomeSet, CoreOutcomeSetVersion, DataSource, ItemResult, Round
from outcomes.permissions import CURATORS_GROUP
from outcomes.selectors.translations import process_translations
from outcomes.services import consensus as svc
from outcomes.services.network import data_source_create, feasibility_report_submit
from outcomes.services.tally import round_tally

SET_SLUG = "ichom-heart-failure"
DEMO_REPORT = Path(__file__).resolve().parents[2] / "data" / "demo_feasibility_report.json"
PROCESS_TITLE = "DEMO (synthetic): updating the ICHOM heart failure set"
DEMO_USERS = {
    # username: (password, role)
    "demo-facilitator": ("demo-facilitator-pass", "facilitator"),
    "demo-curator": ("demo-curator-pass", "curator"),
    "demo-admin": ("demo-admin-pass", "admin"),
}
# Extra candidates with a plausible "true importance" (mean score) and their COMET domains.
CANDIDATES = [
    ("Hospitalisation for heart failure", "Unplanned admission with worsening heart failure", [35], 8.1),
    ("All-cause mortality", "Death from any cause", [1], 8.4),
    ("Exercise capacity", "Six-minute walk distance or peak VO2", [25], 6.6),
    ("Kidney function", "Change in eGFR", [19], 5.4),
    ("Medication side effects", "Adverse drug reactions leading to a change of treatment", [38], 6.9),
    ("Sleep quality", "Self-reported sleep disturbance", [9], 5.8),
    ("Ability to work", "Return to and days in paid work", [27], 5.2),
    ("Carer burden", "Time and strain reported by the main carer", [37], 6.2),
    ("Cost of treatment to the patient", "Out-of-pocket costs", [34], 3.6),
    ("Natriuretic peptide level", "NT-proBNP concentration", [3], 4.4),
]
SEEDED_MEANS = {
    "Symptom burden": 8.0,
    "Functional status": 7.8,
    "Psychosocial wellbeing": 7.0,
    "Burden of care": 6.5,
    "Survival": 8.6,
}
# The demo runs in English and German: every text a panelist reads has a German translation, written for the
# demonstration and not checked by a native-speaking reviewer (so labelled on each row). Every third panelist reads
# the panel in German.
DEMO_LANGUAGES = ["en", "de"]
DEMO_REVIEW_NOTE = "demo facilitator; demo data, not checked by a native-speaking reviewer"
GERMAN = {
    PROCESS_TITLE: "DEMO (erfunden): Aktualisierung des ICHOM-Sets für Herzinsuffizienz",
    "SYNTHETIC DEMONSTRATION DATA: generated panelists and ratings; no real person took part.": (
        "ERFUNDENE VORFÜHRUNGSDATEN: erzeugte Teilnehmende und Bewertungen; kein echter Mensch hat teilgenommen."
    ),
    "This is a demonstration. Consenting here records nothing about you.": (
        "Dies ist eine Vorführung. Ihre Einwilligung hier speichert nichts über Sie."
    ),
    "Patients and carers": "Patientinnen, Patienten und Angehörige",
    "Health professionals": "Gesundheitsfachleute",
    "Researchers": "Forschende",
    "Industry": "Industrie",
    "Regulators": "Zulassungsbehörden",
    "Symptom burden": "Belastung durch Beschwerden",
    "Functional status": "Körperliche Leistungsfähigkeit im Alltag",
    "Psychosocial wellbeing": "Seelisches und soziales Wohlbefinden",
    "Burden of care": "Belastung durch die Behandlung",
    "Survival": "Überleben",
    "dyspnoea, fatigue and tiredness, disturbed sleep, peripheral oedema": (
        "Atemnot, Erschöpfung und Müdigkeit, gestörter Schlaf, geschwollene Beine (periphere Ödeme)"
    ),
    "health-related quality of life, maximum physical exertion": (
        "gesundheitsbezogene Lebensqualität, größte mögliche körperliche Anstrengung"
    ),
    "depression and anxiety, confidence and self-esteem": "Depression und Angst, Zuversicht und Selbstwertgefühl",
    "admissions, appointments": "Krankenhausaufnahmen, Arzttermine",
    "Hospitalisation for heart failure": "Krankenhausaufenthalt wegen Herzinsuffizienz",
    "Unplanned admission with worsening heart failure": (
        "Ungeplante Aufnahme ins Krankenhaus, weil sich die Herzschwäche verschlechtert"
    ),
    "All-cause mortality": "Sterblichkeit jeder Ursache",
    "Death from any cause": "Tod aus jeder Ursache",
    "Exercise capacity": "Körperliche Belastbarkeit",
    "Six-minute walk distance or peak VO2": "Gehstrecke in sechs Minuten oder maximale Sauerstoffaufnahme (VO2peak)",
    "Kidney function": "Nierenfunktion",
    "Change in eGFR": "Veränderung der eGFR (geschätzte Filterleistung der Nieren)",
    "Medication side effects": "Nebenwirkungen der Medikamente",
    "Adverse drug reactions leading to a change of treatment": (
        "Nebenwirkungen, wegen derer die Behandlung geändert wird"
    ),
    "Sleep quality": "Schlafqualität",
    "Self-reported sleep disturbance": "Selbst berichtete Schlafstörungen",
    "Ability to work": "Arbeitsfähigkeit",
    "Return to and days in paid work": "Rückkehr in die bezahlte Arbeit und Arbeitstage",
    "Carer burden": "Belastung der pflegenden Angehörigen",
    "Time and strain reported by the main carer": (
        "Zeitaufwand und Belastung, wie die wichtigste Pflegeperson sie angibt"
    ),
    "Cost of treatment to the patient": "Behandlungskosten für die Patientin oder den Patienten",
    "Out-of-pocket costs": "Selbst zu tragende Kosten",
    "Natriuretic peptide level": "Spiegel der natriuretischen Peptide",
    "NT-proBNP concentration": "NT-proBNP-Konzentration im Blut",
    "Fatigue": "Erschöpfung (Fatigue)",
    "Tiredness that limits daily life": "Müdigkeit, die den Alltag einschränkt",
}
GROUP_SIZES = [18, 15, 12, 8, 7]  # 60 panelists: patients, professionals, researchers, industry, regulators
GROUP_OFFSETS = [0.3, 0.0, -0.2, -0.3, 0.1]


class Command(BaseCommand):
    help = "Load the synthetic consensus demo (ICHOM heart failure update) and print demo logins and links."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--quiet-links", action="store_true", help="Do not issue and print panelist links.")

    def handle(self, *args, **options) -> None:
        cos = CoreOutcomeSet.objects.filter(slug=SET_SLUG).first()
        if cos is None:
            raise CommandError(f"The set {SET_SLUG!r} is missing: run load_reference_data first.")
        users = self._users()
        process = ConsensusProcess.objects.filter(core_outcome_set=cos, is_demo=True).first()
        if process is None:
            with transaction.atomic():
                process = self._build(cos, users["demo-facilitator"])
            self.stdout.write(self.style.SUCCESS(f"Created the synthetic demo process: {process.title}"))
        else:
            self.stdout.write("The synthetic demo process is already loaded; nothing new created.")
        self._network(cos, users["demo-curator"])
        self._print(process, options["quiet_links"])

    @transaction.atomic
    def _network(self, cos: CoreOutcomeSet, curator) -> None:
        """The demo data source and its synthetic report, once."""
        if DataSource.objects.filter(is_demo=True).exists():
            self.stdout.write("The synthetic demo data source is already loaded.")
            return
        demo = json.loads(DEMO_REPORT.read_text(encoding="utf-8"))
        report = demo["report"]
        version = cos.versions.get(version=report["set"]["version"], status=CoreOutcomeSetVersion.Status.PUBLISHED)
        identities = dict(version.outcomes.values_list("name", "identity"))
        for outcome in report["outcomes"]:
            outcome["identity"] = str(identities[outcome["name"]])
        source, _ = data_source_create(by=curator, is_demo=True, **demo["data_source"])
        feasibility_report_submit(data_source=source, version=version, document=report)
        self.stdout.write(self.style.SUCCESS(f"Created the synthetic demo data source: {source}"))

    def _users(self) -> dict:
        User = get_user_model()
        curators, _ = Group.objects.get_or_create(name=CURATORS_GROUP)
        users = {}
        for username, (password, role) in DEMO_USERS.items():
            user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@demo.invalid"})
            user.set_password(password)
            user.is_staff = user.is_superuser = role == "admin"
            user.save()
            if role == "curator":
                user.groups.add(curators)
            users[username] = user
        return users

    def _build(self, cos: CoreOutcomeSet, facilitator) -> ConsensusProcess:
        rng = random.Random(2026)  # deterministic: the same demo on every machine
        process = svc.process_create(
            core_outcome_set=cos,
            title=PROCESS_TITLE,
            by=facilitator,
            facilitators=[facilitator],
            description="SYNTHETIC DEMONSTRATION DATA: generated panelists and ratings; no real person took part.",
            is_demo=True,
        )
        svc.process_update(
            process=process,
            by=facilitator,
            consent_text="This is a demonstration. Consenting here records nothing about you.",
            languages=DEMO_LANGUAGES,
        )
        for name, definition, domains, _ in CANDIDATES:
            svc.item_create(process=process, name=name, definition=definition, domain_numbers=domains, by=facilitator)
        means = {**SEEDED_MEANS, **{name: mean for name, _, _, mean in CANDIDATES}}
        groups = list(process.groups.all())
        panelists = []
        for group, size in zip(groups, GROUP_SIZES, strict=True):
            for _ in range(size):
                number = len(panelists) + 1
                panelist = svc.panelist_invite(
                    process=process,
                    email=f"panelist{number:02d}@demo.invalid",
                    name=f"Demo panelist {number}",
                    by=facilitator,
                    send_invitation=False,  # synthetic panelists have no mailbox; links are printed instead
                )
                language = "de" if number % 3 == 0 else "en"
                panelists.append(svc.panelist_consent(panelist=panelist, group=group, language=language))
        offsets = {g.pk: off for g, off in zip(groups, GROUP_OFFSETS, strict=True)}

        def rate(round_: Round, spread: float, share_completing: float, pull: dict | None = None) -> None:
            items = list(round_.round_items.select_related("item"))
            invited = set(round_.participations.values_list("panelist_id", flat=True))
            for panelist in panelists:
                draw = rng.random()
                if panelist.pk not in invited or draw > share_completing + 0.05:
                    continue  # did not answer; a few more (the 0.05) saved progress without submitting
                entries = []
                for round_item in items:
                    mean = means.get(round_item.item.name, 6.0) + offsets[panelist.group_id]
                    if pull and round_item.item_id in pull:  # later rounds move towards the panel's median
                        mean = (mean + pull[round_item.item_id]) / 2
                    if rng.random() < 0.04:
                        entries.append(svc.RatingInput(item_id=round_item.item_id, unable_to_score=True))
                        continue
                    score = min(9, max(1, round(rng.gauss(mean, spread))))
                    entries.append(svc.RatingInput(item_id=round_item.item_id, score=score))
                svc.rating_submit(panelist=panelist, round=round_, ratings=entries, complete=draw <= share_completing)

        def medians(round_: Round) -> dict:
            results = ItemResult.objects.filter(round_item__round=round_, group__isnull=True, median__isnull=False)
            return {r.round_item.item_id: float(r.median) for r in results.select_related("round_item")}

        self._translate(process, facilitator)
        round1 = svc.round_open(round=svc.round_create(process=process, by=facilitator), by=facilitator)
        rate(round1, spread=1.8, share_completing=0.92)
        suggestions = [
            ("Fatigue", "Tiredness that limits daily life", "Accepted"),
            ("Weight gain", "Rapid weight gain as a sign of fluid", "Merged"),
            ("Parking at the clinic", "", "Rejected"),
        ]
        for panelist, (name, definition, _) in zip(panelists[:3], suggestions, strict=True):
            svc.suggestion_submit(panelist=panelist, round=round1, name=name, definition=definition)
        for suggestion in round1.suggestions.order_by("pk"):
            if suggestion.name == "Fatigue":
                svc.suggestion_decide(suggestion=suggestion, decision="accepted", domain_numbers=[9], by=facilitator)
            elif suggestion.name == "Weight gain":
                target = process.items.get(name="Symptom burden")
                svc.suggestion_decide(suggestion=suggestion, decision="merged", merge_into=target, by=facilitator)
            else:
                svc.suggestion_decide(
                    suggestion=suggestion, decision="rejected", reason="Not an outcome of treatment", by=facilitator
                )
        means["Fatigue"] = 7.6
        self._translate(process, facilitator)  # the accepted suggestion is a new item of round 2
        svc.round_close(round=round1, by=facilitator)
        round_tally(round=round1)

        round2 = svc.round_open(round=svc.round_create(process=process, by=facilitator), by=facilitator)
        rate(round2, spread=1.3, share_completing=0.9, pull=medians(round1))
        svc.round_close(round=round2, by=facilitator)
        round_tally(round=round2)

        round3 = svc.round_create(process=process, by=facilitator, closes_at=timezone.now() + dt.timedelta(days=14))
        round3 = svc.round_open(round=round3, by=facilitator)
        rate(round3, spread=1.0, share_completing=0.4, pull=medians(round2))
        return process

    def _translate(self, process: ConsensusProcess, facilitator) -> None:
        """The German of every text not yet translated: process, groups, items (demo content, labelled so)."""
        process.refresh_from_db()
        targets = [(process, ("title", "description", "consent_text"))]
        targets += [(group, ("name",)) for group in process.groups.all()]
        targets += [(item, ("name", "definition")) for item in process.items.all()]
        done = {(t.target_kind, t.target_id, t.field) for t in process_translations(process.pk)}
        for target, fields in targets:
            for field_name in fields:
                english = getattr(target, field_name)
                kind = svc.translation_kind(target)
                if not english or (kind, target.pk, field_name) in done:
                    continue
                svc.translation_set(
                    process=process,
                    target=target,
                    field=field_name,
                    language="de",
                    text=GERMAN[english],
                    reviewed=True,
                    by=facilitator,
                    review_note=DEMO_REVIEW_NOTE,
                )

    def _print(self, process: ConsensusProcess, quiet_links: bool) -> None:
        site = settings.SITE_URL
        self.stdout.write("")
        self.stdout.write("Demo logins (synthetic data; change or remove them on a real server):")
        for username, (password, role) in DEMO_USERS.items():
            self.stdout.write(f"  {role:<12} {username} / {password}")
        self.stdout.write(f"  Facilitator dashboard: {site}/facilitate/{process.pk}/")
        if quiet_links:
            return
        open_round = process.rounds.filter(status=Round.Status.OPEN).first()
        if open_round is None:
            return
        pending = process.panelists.filter(
            participations__round=open_round, participations__completed_at__isnull=True, token_revoked_at__isnull=True
        ).order_by("code")
        # One panelist who reads the panel in English and one in German.
        shown = [p for p in (pending.filter(language=code).first() for code in DEMO_LANGUAGES) if p is not None]
        self.stdout.write(f"Panelist links for round {open_round.number} (fresh links, issued now):")
        for panelist in shown:
            token = svc.panelist_token_issue(panelist=panelist)
            language = dict(settings.LANGUAGES)[panelist.language]
            self.stdout.write(f"  {panelist.code} ({panelist.group}, {language}): {svc.panelist_link(token)}")
