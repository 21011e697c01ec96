//! CycloneDX 1.6 JSON (<https://cyclonedx.org/docs/1.6/json/>).
//!
//! - `components`: one `library` per package, `bom-ref` its label; `licenses`
//!   an SPDX id (`{"license": {"id"}}`) when the expression is one listed
//!   license, else `{"expression"}`; `purl`; the label in the property
//!   `sel:label`. With `--all-configs`, a component present only in some
//!   configurations has `scope: optional` and its condition in the properties
//!   `sel:when` (text) and `sel:when:json` (the cubes of docs/json.md).
//! - `dependencies`: every component with the components it depends on.
//! - `metadata.properties`: `sel:query`, and `sel:selector:LABEL` = value for
//!   every selector of the configuration (the fixed ones with `--all-configs`,
//!   where `sel:all-configs` is `true` and `sel:free-selector:LABEL` lists the
//!   values of each selector left free); `metadata.timestamp` only from
//!   `SOURCE_DATE_EPOCH`.
//! - `serialNumber`: a UUID derived from the rest of the document.

use serde_json::{json, Map, Value as Json};

use super::{content_uuid, free_selectors, rfc3339, selector_values, Options, Sbom, TOOL};

fn property(name: &str, value: impl Into<String>) -> Json {
    json!({"name": name, "value": value.into()})
}

/// The SPDX license ids CycloneDX 1.6's schema lists (`spdx.schema.json`),
/// one a line; `tests/licenses.rs` checks it against the vendored schema.
pub const LICENSE_IDS: &str = include_str!("cyclonedx_license_ids.txt");

/// The `licenses` of a component: `{"license": {"id"}}` when the expression is
/// one license CycloneDX's list knows (the `spdx` crate may know newer ids,
/// which the schema would reject), else `{"expression"}`.
fn licenses(expr: &str) -> Option<Json> {
    if expr.is_empty() {
        return None;
    }
    let listed = LICENSE_IDS.lines().any(|id| id == expr);
    Some(if listed {
        json!([{"license": {"id": expr, "acknowledgement": "declared"}}])
    } else {
        json!([{"expression": expr, "acknowledgement": "declared"}])
    })
}

/// The document.
pub fn document(sbom: &Sbom, options: &Options) -> Json {
    let alg = sbom.algebra.as_ref();
    let components: Vec<Json> = sbom
        .components
        .iter()
        .map(|c| {
            let mut o = Map::new();
            o.insert("type".into(), json!("library"));
            o.insert("bom-ref".into(), json!(c.bom_ref));
            o.insert("name".into(), json!(c.name));
            if !c.version.is_empty() {
                o.insert("version".into(), json!(c.version));
            }
            if !c.description.is_empty() {
                o.insert("description".into(), json!(c.description));
            }
            if sbom.is_conditional(c) {
                o.insert("scope".into(), json!("optional"));
            }
            if let Some(l) = licenses(&c.license) {
                o.insert("licenses".into(), l);
            }
            if let Some(p) = &c.purl {
                o.insert("purl".into(), json!(p));
            }
            let mut props = vec![property("sel:label", c.label.to_string())];
            if let (Some(alg), Some(w)) = (alg, c.when) {
                props.push(property("sel:when", alg.render(w)));
                props.push(property("sel:when:json", alg.to_json(w).to_string()));
            }
            o.insert("properties".into(), Json::Array(props));
            Json::Object(o)
        })
        .collect();
    let mut on: Vec<Vec<&str>> = vec![Vec::new(); sbom.components.len()];
    for (a, b, _) in &sbom.edges {
        on[*a].push(sbom.components[*b].bom_ref.as_str());
    }
    let dependencies: Vec<Json> = sbom
        .components
        .iter()
        .zip(on)
        .map(|(c, mut on)| {
            on.sort();
            on.dedup();
            json!({"ref": c.bom_ref, "dependsOn": on})
        })
        .collect();
    let mut props = vec![property("sel:query", sbom.query.clone())];
    if alg.is_some() {
        props.push(property("sel:all-configs", "true"));
    }
    for (l, v) in selector_values(sbom) {
        props.push(property(&format!("sel:selector:{l}"), v));
    }
    for (l, values) in free_selectors(sbom) {
        props.push(property(
            &format!("sel:free-selector:{l}"),
            values.join(","),
        ));
    }
    let mut metadata = Map::new();
    if let Some(t) = options.created {
        metadata.insert("timestamp".into(), json!(rfc3339(t)));
    }
    metadata.insert(
        "tools".into(),
        json!({"components": [{"type": "application", "name": "sel", "version": TOOL}]}),
    );
    metadata.insert("properties".into(), Json::Array(props));
    let mut doc = json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": metadata,
        "components": components,
        "dependencies": dependencies,
    });
    let uuid = content_uuid(doc.to_string().as_bytes());
    doc["serialNumber"] = json!(format!("urn:uuid:{uuid}"));
    doc
}
