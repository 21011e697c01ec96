//! SPDX 2.3 JSON (<https://spdx.github.io/spdx-spec/v2.3/>).
//!
//! - `packages`: one per package, `SPDXID` from its label
//!   (`//third_party/fftw:fftw` is `SPDXRef-Package-third-party-fftw-fftw`),
//!   `licenseDeclared` the SPDX expression (`NOASSERTION` when unknown),
//!   `licenseConcluded` `NOASSERTION` (sel concludes nothing), the purl as a
//!   `PACKAGE-MANAGER` external reference, the label in `comment`. Every
//!   `LicenseRef-` used is listed in `hasExtractedLicensingInfos`.
//! - `relationships`: the document `DESCRIBES` the roots of the result; each
//!   dependency edge is `DEPENDS_ON`.
//! - The configuration: a document annotation and `creationInfo.comment`.
//!   With `--all-configs`, a package present only in some configurations has
//!   an annotation `sel:when: CONDITION` (and the cubes as JSON), and a
//!   conditional edge has its condition in the relationship's `comment`.
//! - `creationInfo.created` is `SOURCE_DATE_EPOCH`, else 1970-01-01T00:00:00Z
//!   (SPDX requires a time; a fixed one keeps documents reproducible).
//! - `documentNamespace`: `https://spdx.org/spdxdocs/sel-UUID`, the UUID
//!   derived from the rest of the document.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value as Json};

use super::{content_uuid, free_selectors, rfc3339, selector_values, Options, Sbom, TOOL};

/// `SPDXRef-Package-...` ids, one per component, unique.
fn ids(sbom: &Sbom) -> Vec<String> {
    let mut used: BTreeSet<String> = BTreeSet::new();
    sbom.components
        .iter()
        .map(|c| {
            let base: String = c
                .bom_ref
                .trim_start_matches('/')
                .chars()
                .map(|ch| {
                    if ch.is_ascii_alphanumeric() || ch == '.' {
                        ch
                    } else {
                        '-'
                    }
                })
                .collect();
            let base = format!("SPDXRef-Package-{}", base.trim_matches('-'));
            let mut id = base.clone();
            let mut n = 2;
            while !used.insert(id.clone()) {
                id = format!("{base}-{n}");
                n += 1;
            }
            id
        })
        .collect()
}

/// The `LicenseRef-` ids an expression uses.
fn license_refs(expr: &str, out: &mut BTreeSet<String>) {
    if let Ok(Some(e)) = crate::license::expression::parse(expr) {
        for r in e.requirements() {
            if let spdx::LicenseItem::Other(r) = &r.req.license {
                if r.doc_ref.is_none() {
                    out.insert(format!("LicenseRef-{}", r.lic_ref));
                }
            }
        }
    }
}

/// The document.
pub fn document(sbom: &Sbom, options: &Options) -> Json {
    let alg = sbom.algebra.as_ref();
    let created = rfc3339(options.created.unwrap_or(0));
    let tool = format!("Tool: sel-{TOOL}");
    let annotation = |comment: String| {
        json!({
            "annotationDate": created,
            "annotationType": "OTHER",
            "annotator": tool,
            "comment": comment,
        })
    };
    let ids = ids(sbom);
    let mut refs = BTreeSet::new();
    let packages: Vec<Json> = sbom
        .components
        .iter()
        .zip(&ids)
        .map(|(c, id)| {
            let mut o = Map::new();
            o.insert("SPDXID".into(), json!(id));
            o.insert("name".into(), json!(c.name));
            if !c.version.is_empty() {
                o.insert("versionInfo".into(), json!(c.version));
            }
            o.insert("downloadLocation".into(), json!("NOASSERTION"));
            o.insert("filesAnalyzed".into(), json!(false));
            o.insert("licenseConcluded".into(), json!("NOASSERTION"));
            let declared = if c.license.is_empty() {
                "NOASSERTION".to_string()
            } else {
                license_refs(&c.license, &mut refs);
                c.license.clone()
            };
            o.insert("licenseDeclared".into(), json!(declared));
            o.insert("copyrightText".into(), json!("NOASSERTION"));
            if !c.description.is_empty() {
                o.insert("description".into(), json!(c.description));
            }
            o.insert("comment".into(), json!(format!("sel label {}", c.label)));
            o.insert("primaryPackagePurpose".into(), json!("LIBRARY"));
            if let Some(p) = &c.purl {
                o.insert(
                    "externalRefs".into(),
                    json!([{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": p}]),
                );
            }
            if let (Some(alg), Some(w)) = (alg, c.when) {
                if sbom.is_conditional(c) {
                    o.insert(
                        "annotations".into(),
                        json!([annotation(format!(
                            "sel:when: {}\nsel:when:json: {}",
                            alg.render(w),
                            alg.to_json(w)
                        ))]),
                    );
                }
            }
            Json::Object(o)
        })
        .collect();
    let mut relationships: Vec<Json> = sbom
        .roots()
        .into_iter()
        .map(|i| {
            json!({
                "spdxElementId": "SPDXRef-DOCUMENT",
                "relationshipType": "DESCRIBES",
                "relatedSpdxElement": ids[i],
            })
        })
        .collect();
    for (a, b, when) in &sbom.edges {
        let mut r = json!({
            "spdxElementId": ids[*a],
            "relationshipType": "DEPENDS_ON",
            "relatedSpdxElement": ids[*b],
        });
        if let (Some(alg), Some(w)) = (alg, when) {
            if !alg.is_always(*w) {
                r["comment"] = json!(format!("sel:when: {}", alg.render(*w)));
            }
        }
        relationships.push(r);
    }
    let mut config: Vec<String> = selector_values(sbom)
        .into_iter()
        .map(|(l, v)| format!("{l}={v}"))
        .collect();
    let free: Vec<String> = free_selectors(sbom)
        .into_iter()
        .map(|(l, v)| format!("{l} in {{{}}}", v.join(", ")))
        .collect();
    let mut comment = format!("sel:query: {}", sbom.query);
    if alg.is_some() {
        comment.push_str("\nsel:all-configs: true");
        if !free.is_empty() {
            comment.push_str(&format!("\nsel:free-selectors: {}", free.join("; ")));
        }
    }
    if !config.is_empty() {
        config.sort();
        comment.push_str(&format!("\nsel:configuration: {}", config.join(", ")));
    }
    let extracted: Vec<Json> = refs
        .iter()
        .map(|r| {
            json!({
                "licenseId": r,
                "name": r.trim_start_matches("LicenseRef-"),
                "extractedText": format!("{r}: a license not on the SPDX License List, named in the workspace's BUILD files; sel does not have its text."),
            })
        })
        .collect();
    let mut doc = Map::new();
    doc.insert("spdxVersion".into(), json!("SPDX-2.3"));
    doc.insert("dataLicense".into(), json!("CC0-1.0"));
    doc.insert("SPDXID".into(), json!("SPDXRef-DOCUMENT"));
    doc.insert("name".into(), json!(format!("sel cquery {}", sbom.query)));
    doc.insert(
        "creationInfo".into(),
        json!({"created": created, "creators": [tool], "comment": comment}),
    );
    doc.insert("packages".into(), Json::Array(packages));
    doc.insert("relationships".into(), Json::Array(relationships));
    doc.insert("annotations".into(), json!([annotation(comment.clone())]));
    if !extracted.is_empty() {
        doc.insert("hasExtractedLicensingInfos".into(), Json::Array(extracted));
    }
    let uuid = content_uuid(Json::Object(doc.clone()).to_string().as_bytes());
    doc.insert(
        "documentNamespace".into(),
        json!(format!("https://spdx.org/spdxdocs/sel-{uuid}")),
    );
    Json::Object(doc)
}
