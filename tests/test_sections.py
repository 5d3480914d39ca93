"""One test per article section: the section's facts, asked through SPARQL on the built store."""

from __future__ import annotations


def test_lead(select) -> None:
    """The drug, its brand, kind, protein, marketer, route and the four conditions it treats."""
    rows = select("""
        SELECT ?label ?brand ?protein ?marketer ?route WHERE {
          drug:anakinra a ak:RecombinantProteinDrug ; rdfs:label ?label ; ak:brandName ?brand ;
            ak:modifiedRecombinantFormOf/rdfs:label ?protein ; ak:marketedBy/rdfs:label ?marketer ;
            ak:administrationRoute/rdfs:label ?route }""")
    assert rows == [
        (
            "anakinra@en",
            "Kineret",
            "interleukin-1 receptor antagonist@en",
            "Swedish Orphan Biovitrum@en",
            "subcutaneous injection@en",
        )
    ]
    treated = {
        r[0]
        for r in select("""
        SELECT ?d WHERE { ?u ak:drug drug:anakinra ; ak:condition ?d ; ak:useStatus ak:InUse ;
                             ak:evidence/ak:section section:lead }""")
    }
    assert treated == {
        "disease:rheumatoid-arthritis",
        "disease:cryopyrin-associated-periodic-syndrome",
        "disease:familial-mediterranean-fever",
        "disease:stills-disease",
    }
    assert select(
        "ASK { protein:interleukin-1-receptor-antagonist ak:encodedBy gene:il1rn ; ak:inTaxon organism:human }"
    ) == [("true",)]


def test_medical_uses(select) -> None:
    """Second-line RA, NOMID within CAPS, off-label uses (US for Schnitzler's), the COVID-19 authorisations."""
    assert select("""
        SELECT ?line ?failed WHERE { ?u ak:condition disease:rheumatoid-arthritis ; ak:lineOfTherapy ?line ;
                                        ak:afterFailureOf ?failed }""") == [
        ("ak:SecondLine", "drug-class:disease-modifying-antirheumatic-drug")
    ]
    assert select(
        "ASK { disease:neonatal-onset-multisystem-inflammatory-disease ak:subtypeOf disease:cryopyrin-associated-periodic-syndrome }"
    ) == [("true",)]
    off_label = select("""
        SELECT ?d (COALESCE(?j, "") AS ?where) WHERE {
          ?u ak:drug drug:anakinra ; ak:useStatus ak:OffLabel ; ak:condition ?d .
          OPTIONAL { ?u ak:jurisdiction ?j } } ORDER BY ?d""")
    assert off_label == [
        ("disease:ankylosing-spondylitis", ""),
        ("disease:autoinflammatory-syndrome", ""),
        ("disease:behcet-disease", ""),
        ("disease:calcium-pyrophosphate-deposition-disease", ""),
        ("disease:gout", ""),
        ("disease:schnitzler-syndrome", "place:united-states"),
        ("disease:systemic-juvenile-idiopathic-arthritis", ""),
        ("disease:uveitis", ""),
    ]
    ema = select("""
        SELECT ?date ?value ?unit ?cmp WHERE {
          ?e a ak:Authorisation ; ak:agency organisation:european-medicines-agency ; ak:condition disease:covid-19 ;
             ak:date ?date ; ak:eligibilityCriterion ?c .
          ?c ak:biomarker biomarker:supar ; ak:thresholdValue ?value ; ak:unit ?unit ; ak:thresholdComparison ?cmp }""")
    assert [(d, float(v), u, c) for d, v, u, c in ema] == [("2021-12", 6.0, "obo:UO_0000275", "at least")]
    eua = select("""
        SELECT ?date ?dt WHERE { ?e a ak:EmergencyUseAuthorisation ; ak:agency organisation:us-food-and-drug-administration ;
          ak:condition disease:covid-19 ; ak:date ?date BIND(DATATYPE(?date) AS ?dt) }""")
    assert eua == [("2022-11", "xsd:gYearMonth")]


def test_safety(select) -> None:
    """Pregnancy: not tested in women, safe in animals; contraindications: infections, latent TB, TNF inhibitors."""
    statuses = {
        r[0]
        for r in select(
            "SELECT ?s WHERE { ?p ak:precautionOf drug:anakinra ; ak:population population:pregnant-women ; ak:safetyDataStatus ?s }"
        )
    }
    assert statuses == {"ak:NotTestedInHumans", "ak:AppearedSafeInAnimalStudies"}
    contra = {
        r[0]
        for r in select("""
        SELECT ?x WHERE { ?c ak:contraindicationOf drug:anakinra .
          { ?c ak:contraindicatedCondition ?x } UNION { ?c ak:contraindicatedCoMedication ?x } }""")
    }
    assert contra == {"disease:active-infection", "disease:latent-tuberculosis", "drug-class:tnf-inhibitor"}


def test_adverse_reactions(select) -> None:
    """Frequencies as decimals: >10% for three effects, 8/2/1 percentage points over placebo, 4.5% vs 0% in asthma."""
    rows = select("""
        SELECT ?effect ?kind ?value WHERE {
          ?r ak:adverseReactionOf drug:anakinra ; ak:effect ?effect .
          FILTER NOT EXISTS { ?r ak:subgroup ?g }
          VALUES ?kind { ak:frequencyLowerBound ak:excessOverComparator }
          ?r ?kind ?value . FILTER(DATATYPE(?value) = xsd:decimal) } ORDER BY ?effect""")
    assert [(e, k, float(v)) for e, k, v in rows] == [
        ("adverse-effect:decreased-platelet-count", "ak:excessOverComparator", 0.02),
        ("adverse-effect:decreased-white-blood-cell-count", "ak:excessOverComparator", 0.08),
        ("adverse-effect:headache", "ak:frequencyLowerBound", 0.10),
        ("adverse-effect:increased-cholesterol", "ak:frequencyLowerBound", 0.10),
        ("adverse-effect:injection-site-reaction", "ak:frequencyLowerBound", 0.10),
        ("adverse-effect:severe-infection", "ak:excessOverComparator", 0.01),
    ]
    asthma = select("""
        SELECT ?f ?pf WHERE { ?r ak:subgroup disease:asthma ; ak:effect adverse-effect:severe-infection ;
                                 ak:frequency ?f ; ak:comparatorFrequency ?pf ; ak:comparator comparator:placebo }""")
    assert [(float(f), float(p)) for f, p in asthma] == [(0.045, 0.0)]
    assert select("ASK { ?r ak:effect disease:cancer ; ak:safetyDataStatus ak:Unclear }") == [("true",)]


def test_chemistry(select) -> None:
    """One N-terminal methionine added; not glycosylated because made in E. coli."""
    assert select("""
        SELECT ?res ?pos WHERE { ?d ak:structuralDifferenceOf drug:anakinra ; a ak:ResidueAddition ;
                                     ak:residue ?res ; ak:position ?pos }""") == [("chemical:methionine", "N-terminus")]
    assert (
        select("""
        SELECT ?g ?why WHERE { ?d ak:structuralDifferenceOf drug:anakinra ; ak:glycosylated ?g ; ak:causedBy ?why }""")
        == [("false", "organism:escherichia-coli")]
    )
    assert select("ASK { drug:anakinra ak:producedIn organism:escherichia-coli }") == [("true",)]


def test_history(select) -> None:
    """The approval timeline at the article's precision, and the NHS England policies with lines of therapy."""
    timeline = select("""
        SELECT DISTINCT ?e ?date ?j (COALESCE(?a, "") AS ?agency) WHERE {
          ?e a/rdfs:subClassOf* ak:RegulatoryEvent ; ak:date ?date ; ak:jurisdiction ?j ;
             ak:evidence/ak:section section:history .
          OPTIONAL { ?e ak:agency ?a } } ORDER BY ?date ?j ?e""")
    assert [row[1:] for row in timeline] == [
        ("2001", "place:united-states", ""),
        ("2002", "place:european-union", ""),
        ("2018", "place:england", "organisation:nhs-england"),
        ("2018", "place:england", "organisation:nhs-england"),
        ("2020-12", "place:united-states", "organisation:us-food-and-drug-administration"),
        ("2021", "place:russia", "organisation:ministry-of-health-of-the-russian-federation"),
        ("2021-10", "place:england", "organisation:nhs-england"),
    ]
    lines = select("""
        SELECT ?d ?line WHERE { ?u ak:useStatus ak:Commissioned ; ak:condition ?d ; ak:lineOfTherapy ?line ;
                                   ak:establishedBy/ak:agency organisation:nhs-england } ORDER BY ?d""")
    assert lines == [
        ("disease:adult-onset-stills-disease", "ak:ThirdLine"),
        ("disease:familial-mediterranean-fever", "ak:SecondLine"),
        ("disease:hyper-igd-syndrome", "ak:SecondLine"),
        ("disease:schnitzler-syndrome", "ak:FirstLine"),
        ("disease:tnf-receptor-associated-periodic-syndrome", "ak:SecondLine"),
    ]
    assert select("""SELECT ?d WHERE { ?e ak:agency organisation:us-food-and-drug-administration ; ak:date "2020-12"^^xsd:gYearMonth ;
                                          ak:condition ?d }""") == [
        ("disease:deficiency-of-interleukin-1-receptor-antagonist",)
    ]


def test_research(select) -> None:
    """Studies with who ran or funded them, when, kinds, counts, comparator and findings."""
    studies = select("""
        SELECT DISTINCT ?s (COALESCE(STR(?date), "") AS ?when) (COALESCE(?org, "") AS ?by) WHERE {
          ?s a ak:Study ; ak:evidence/ak:section section:research .
          OPTIONAL { ?s ak:date ?date } OPTIONAL { ?s ak:conductedBy ?org } } ORDER BY ?s""")
    assert studies == [
        ("study:columbia-haematopoietic-stem-cell-ageing-2023", "2023", "organisation:columbia-university"),
        ("study:dermatology-review-2022", "2022", ""),
        ("study:endometriosis-preliminary-2023", "2023", ""),
        ("study:jhu-zika-pregnant-mice-2019", "2019", "organisation:johns-hopkins-university"),
        ("study:manchester-breast-cancer-bone-2019", "2019-11", "organisation:university-of-manchester"),
        ("study:norse-fires-anakinra-vs-tocilizumab-2025", "2025", "organisation:yale-university"),
        ("study:udn-meningitis-nalp3-case", "", "organisation:undiagnosed-diseases-network"),
        ("study:vincristine-neuropathic-pain-2021", "2021", ""),
    ]
    assert select("""
        SELECT ?n ?funder ?cmp WHERE { study:norse-fires-anakinra-vs-tocilizumab-2025 ak:numberOfCentres ?n ;
          ak:fundedBy ?funder ; ak:comparatorDrug ?cmp ; ak:studyKind ak:MultiCentreStudy }""") == [
        ("33", "organisation:patient-centered-outcomes-research-institute", "drug:tocilizumab")
    ]
    assert select(
        "ASK { disease:febrile-infection-related-epilepsy-syndrome ak:subtypeOf disease:new-onset-refractory-status-epilepticus }"
    ) == [("true",)]
    assert select(
        "SELECT ?age WHERE { study:udn-meningitis-nalp3-case ak:participantAge ?age ; ak:studyKind ak:CaseReport }"
    ) == [("67",)]
    investigational = {
        r[0]
        for r in select(
            "SELECT ?d WHERE { ?u ak:useStatus ak:Investigational ; ak:condition ?d ; ak:evidence/ak:section section:research }"
        )
    }
    assert {
        "disease:endometriosis",
        "disease:zika-virus-infection",
        "disease:hidradenitis-suppurativa",
        "disease:new-onset-refractory-status-epilepticus",
    } <= investigational


def test_covid_19(select) -> None:
    """Trials, the 2021 meta-analysis (9 studies, 1,119 cases), the EMA evaluation, the Nature Medicine study."""
    assert select("""
        SELECT ?n ?cases ?date WHERE { ?s ak:studyKind ak:MetaAnalysis ; ak:numberOfStudies ?n ; ak:numberOfCases ?cases ;
                                           ak:date ?date ; ak:condition disease:covid-19 }""") == [
        ("9", "1119", "2021")
    ]
    assert select("""
        SELECT ?date ?journal WHERE { ?s ak:publishedIn ?journal ; ak:date ?date ; ak:hasFinding ?f }""") == [
        ("2021-09", "periodical:nature-medicine")
    ]
    assert select(
        "ASK { ?e a ak:ApplicationEvaluation ; ak:agency organisation:european-medicines-agency ; ak:condition disease:covid-19 FILTER NOT EXISTS { ?e ak:date ?d } }"
    ) == [("true",)]
    assert select(
        "ASK { ?s ak:studyKind ak:ClinicalTrial ; ak:condition disease:covid-19 ; ak:populationCondition disease:hyperinflammation }"
    ) == [("true",)]


def test_categories(select) -> None:
    """The article's categories: immunosuppressants and disease-modifying antirheumatic drugs."""
    classes = {r[0] for r in select("SELECT ?c WHERE { drug:anakinra ak:drugClass ?c }")}
    assert classes == {"drug-class:immunosuppressant", "drug-class:disease-modifying-antirheumatic-drug"}
    assert select("""
        SELECT (COUNT(*) AS ?n) WHERE { ?st rdf:subject drug:anakinra ; rdf:predicate ak:drugClass ;
                                            ak:evidence/ak:section section:categories }""") == [("2",)]
