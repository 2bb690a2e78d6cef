"""Labels in English, Dutch and French. The language comes from `?lang=` (remembered in a
cookie), else the cookie, else the browser's Accept-Language, else English."""

from __future__ import annotations

LANGUAGES = ("en", "nl", "fr")
DEFAULT = "en"

# key: (en, nl, fr)
_LABELS: dict[str, tuple[str, str, str]] = {
    "app": ("Client insights", "Klantinzichten", "Aperçu clients"),
    "insights": ("Insights", "Inzichten", "Aperçu"),
    "attention": ("Needs attention", "Vraagt aandacht", "À traiter en priorité"),
    "vat": ("VAT period progress", "Voortgang btw-periode", "Avancement période TVA"),
    "backlog": ("Backlog over time", "Achterstand in de tijd", "Arriéré dans le temps"),
    "client": ("Client", "Klant", "Client"),
    "all_clients": ("All my clients", "Al mijn klanten", "Tous mes clients"),
    "show": ("Show", "Tonen", "Afficher"),
    "overview": ("All my clients", "Al mijn klanten", "Tous mes clients"),
    "overview_own_vat_period": ("each client's current VAT period",
                                "de huidige btw-periode van elke klant",
                                "la période TVA en cours de chaque client"),
    "deadline_risk": ("At risk of missing the filing deadline",
                      "Dreigt de aangiftedeadline te missen",
                      "Risque de manquer l'échéance de déclaration"),
    "no_deadline_risk": ("No client is at risk of missing its filing deadline.",
                         "Geen enkele klant dreigt zijn aangiftedeadline te missen.",
                         "Aucun client ne risque de manquer son échéance."),
    "open_in_filing_period": ("Open in filing period", "Open in aangifteperiode",
                              "Ouverts dans la période"),
    "needed_per_day": ("Needed per day", "Nodig per dag", "Nécessaire par jour"),
    "why": ("Why", "Waarom", "Pourquoi"),
    "risk_late_at_pace": ("late at the recent pace", "te laat aan het huidige tempo",
                          "en retard au rythme récent"),
    "risk_no_recent_throughput": ("nothing processed lately", "recent niets verwerkt",
                                  "rien de traité récemment"),
    "risk_deadline_near": ("deadline near", "deadline nabij", "échéance proche"),
    "ranking": ("By priority", "Op prioriteit", "Par priorité"),
    "observed_from": ("observed from", "waargenomen vanaf", "observé depuis"),
    "reconstructed_note": (
        "Before {date} (shaded) the counts are reconstructed from what each document's first"
        " extracted version says: when it arrived, when its status last changed and when it"
        " was processed. From {date} on they are the observed history.",
        "Vóór {date} (gearceerd) zijn de aantallen gereconstrueerd uit wat de eerste"
        " opgehaalde versie van elk document zegt: wanneer het binnenkwam, wanneer zijn status"
        " laatst wijzigde en wanneer het verwerkt werd. Vanaf {date} is het de waargenomen"
        " geschiedenis.",
        "Avant le {date} (zone grisée), les nombres sont reconstitués à partir de la première"
        " version extraite de chaque document : son arrivée, le dernier changement de statut"
        " et son traitement. À partir du {date}, c'est l'historique observé."),
    "download_csv": ("Download CSV", "CSV downloaden", "Télécharger en CSV"),
    "total_row": ("Total", "Totaal", "Total"),
    "period": ("Period", "Periode", "Période"),
    "from": ("From", "Van", "Du"),
    "to": ("To", "Tot", "Au"),
    "this_month": ("This month", "Deze maand", "Ce mois-ci"),
    "last_month": ("Last month", "Vorige maand", "Le mois dernier"),
    "this_quarter": ("This quarter", "Dit kwartaal", "Ce trimestre"),
    "vat_period": ("Current VAT period", "Huidige btw-periode", "Période TVA en cours"),
    "this_year": ("This year", "Dit jaar", "Cette année"),
    "custom": ("Custom", "Aangepast", "Personnalisée"),
    "documents_total": ("Total documents", "Totaal documenten", "Total des documents"),
    "documents_processed": ("Processed", "Verwerkt", "Traités"),
    "documents_accountant_action_needed": (
        "Accountant action needed", "Actie boekhouder nodig", "Action du comptable requise"),
    "documents_client_action_needed": (
        "Client action needed", "Actie klant nodig", "Action du client requise"),
    "category": ("Category", "Categorie", "Catégorie"),
    "go_to_documents": ("Go to documents", "Naar documenten", "Voir les documents"),
    "SALES_INVOICE": ("Sales invoices", "Verkoopfacturen", "Factures de vente"),
    "PURCHASE_INVOICE": ("Purchase invoices", "Aankoopfacturen", "Factures d'achat"),
    "PURCHASE_RECEIPT": ("Purchase receipts", "Aankoopbonnetjes", "Tickets d'achat"),
    "ENRICHED_MOVEMENT_REPORT": (
        "Enriched movement reports", "Verrijkte rekeninguittreksels", "Extraits enrichis"),
    "OTHER": ("Other documents", "Andere documenten", "Autres documents"),
    "data_as_of": ("Data as of", "Gegevens van", "Données au"),
    "rank": ("Priority", "Prioriteit", "Priorité"),
    "score": ("Score", "Score", "Score"),
    "score_parts": ("Backlog × age × deadline", "Achterstand × leeftijd × deadline",
                    "Arriéré × âge × échéance"),
    "oldest_waiting": ("Oldest waiting document", "Oudste wachtende document",
                       "Plus ancien document en attente"),
    "days": ("days", "dagen", "jours"),
    "days_to_deadline": ("Days to filing deadline", "Dagen tot aangiftedeadline",
                         "Jours avant l'échéance"),
    "filing_deadline": ("Filing deadline", "Aangiftedeadline", "Échéance de déclaration"),
    "processed_of": ("processed of", "verwerkt van", "traités sur"),
    "forecast": ("Forecast finish", "Verwachte afronding", "Fin prévue"),
    "no_forecast": ("No forecast: nothing processed recently",
                    "Geen prognose: recent niets verwerkt",
                    "Pas de prévision : rien de traité récemment"),
    "throughput": ("Recent throughput (documents/day)", "Recent tempo (documenten/dag)",
                   "Rythme récent (documents/jour)"),
    "state_complete": ("complete", "afgerond", "terminée"),
    "state_open": ("open", "open", "ouverte"),
    "state_overdue": ("overdue", "te laat", "en retard"),
    "open_accountant": ("Waiting for the accountant", "Wacht op boekhouder",
                        "En attente du comptable"),
    "open_client": ("Waiting for the client", "Wacht op klant", "En attente du client"),
    "on_day": ("At the end of", "Op het einde van", "À la fin du"),
    "last_days": ("Last days", "Laatste dagen", "Derniers jours"),
    "no_clients": ("No clients are assigned to you.", "Er zijn geen klanten aan u toegewezen.",
                   "Aucun client ne vous est attribué."),
    "no_identity": ("You are not signed in as a team member of the firm.",
                    "U bent niet aangemeld als teamlid van het kantoor.",
                    "Vous n'êtes pas connecté en tant que membre de l'équipe du cabinet."),
    "not_found": ("Not found.", "Niet gevonden.", "Introuvable."),
    "no_data": ("No serving database yet: run a refresh first.",
                "Nog geen gegevens: voer eerst een refresh uit.",
                "Pas encore de données : lancez d'abord une actualisation."),
    "signed_in_as": ("Signed in as", "Aangemeld als", "Connecté en tant que"),
    "demo_pick": ("Demo: choose a team member", "Demo: kies een teamlid",
                  "Démo : choisissez un membre de l'équipe"),
    "demo_note": ("Demo mode, for trying out only: anyone can pick any member.",
                  "Demomodus, enkel om uit te proberen: iedereen kan elk teamlid kiezen.",
                  "Mode démo, pour essayer uniquement : chacun peut choisir n'importe qui."),
    "switch_member": ("Switch member", "Ander teamlid", "Changer de membre"),
    "period_col": ("VAT period", "Btw-periode", "Période TVA"),
    "state": ("State", "Status", "État"),
    "no_periods": ("No VAT periods with documents.", "Geen btw-periodes met documenten.",
                   "Aucune période TVA avec des documents."),
    "today": ("today", "vandaag", "aujourd'hui"),
}

LABELS = {language: {key: texts[index] for key, texts in _LABELS.items()}
          for index, language in enumerate(LANGUAGES)}


def pick_language(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT
