//! From a probe's result to a selector's value: the rule of docs/detect.md,
//! "Binding selectors".
//!
//! Each value of a selector declared with `detect = PROBE` stands for a
//! result of the probe, its *form*: its entry in `detect_values`, else its
//! own name; `None` stands for "the probe found nothing", `"*"` for any
//! result no other value stands for. Then:
//!
//! - a probe that found nothing gives the value whose form is `None`;
//! - a version probe (`cuda.driver`, `libc.version`, `x86_64.level`, ...)
//!   gives the greatest value whose version the host satisfies, that is at
//!   most the probed one (`12` for a driver that supports CUDA 12.4, `2.28`
//!   for glibc 2.39): the last such value in declared order for an ordered
//!   selector, else the one with the greatest version;
//! - a name probe (`os`, `python.sys_platform`, ...) gives the value whose
//!   form is the same text;
//! - failing that, the value whose form is `"*"`; then the selector's
//!   default if it says `detect_default = True`; else an error that names the
//!   probe, what it found, and the values with their forms.

use std::collections::BTreeSet;

use super::fact::{override_var, probe, Fact, Kind, Version, PROBES};
use crate::error::{did_you_mean, Error, ErrorKind, Result};
use crate::label::Label;
use crate::target_graph::{ProbeForm, Selector, TargetGraph};

/// The value of `selector` (labelled `label`), if it is bound to a probe,
/// given what its probe found (`None`: the probe was not asked); an error
/// if that gives it no value.
pub fn bind(fact: Option<&Fact>, label: &Label, selector: &Selector) -> Result<Option<String>> {
    let Some(d) = &selector.detect else {
        return Ok(None);
    };
    let kind = probe(&d.probe).map_or(Kind::Text, |p| p.kind);
    let result = fact.and_then(|f| f.value.as_deref());
    let forms: Vec<(&String, ProbeForm)> =
        selector.values.iter().map(|v| (v, d.form_of(v))).collect();
    let with_form = |want: &ProbeForm| forms.iter().find(|(_, f)| f == want).map(|(v, _)| *v);
    let chosen = match result {
        None => with_form(&ProbeForm::Absent),
        Some(found) => {
            let direct = match kind {
                Kind::Version => {
                    let found = Version::parse(found);
                    let mut satisfied = forms.iter().filter_map(|(v, f)| match f {
                        ProbeForm::Is(s) => Version::parse(s)
                            .filter(|s| found.as_ref().is_some_and(|found| s <= found))
                            .map(|s| (*v, s)),
                        _ => None,
                    });
                    if selector.ordered {
                        satisfied.next_back().map(|(v, _)| v)
                    } else {
                        // The greatest version; the first written on ties.
                        satisfied
                            .fold(
                                None,
                                |best: Option<(&String, Version)>, (v, s)| match best {
                                    Some((_, ref b)) if s <= *b => best,
                                    _ => Some((v, s)),
                                },
                            )
                            .map(|(v, _)| v)
                    }
                }
                Kind::Text | Kind::List => with_form(&ProbeForm::Is(found.to_string())),
            };
            direct.or_else(|| with_form(&ProbeForm::Other))
        }
    };
    if let Some(v) = chosen {
        return Ok(Some(v.clone()));
    }
    if d.or_default {
        return Ok(Some(selector.default.clone()));
    }
    let found = match fact {
        Some(Fact {
            value: Some(v),
            source,
            ..
        }) => format!("found `{v}` ({source})"),
        Some(Fact { note, source, .. }) => format!(
            "found nothing ({source}{})",
            note.as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        ),
        None => "was not asked".to_string(),
    };
    let stands = forms
        .iter()
        .map(|(v, f)| match f {
            ProbeForm::Absent => format!("{v} (nothing found)"),
            ProbeForm::Other => format!("{v} (anything else)"),
            ProbeForm::Is(s) if kind == Kind::Version => format!("{v} ({s} or later)"),
            ProbeForm::Is(s) => format!("{v} ({s})"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    Err(Error::new(
        ErrorKind::Detect,
        format!(
            "selector `{label}` is bound to probe `{}`, which {found}: no value of the selector stands for that",
            d.probe
        ),
    )
    .with_help(format!(
        "its values stand for: {stands}. Set it with --select {}=VALUE, override the probe with {}=..., or declare the selector with `detect_default = True` to take its default `{}`",
        label.name(),
        override_var(&d.probe),
        selector.default
    )))
}

/// Checks a selector's binding when its file loads: a known probe that gives
/// one result, `detect_values` keys that are values of the selector, at most
/// one value for "nothing found" and one for "anything else", and versions
/// where the probe gives versions.
pub fn check_binding(label: &Label, selector: &Selector) -> Result<()> {
    let Some(d) = &selector.detect else {
        return Ok(());
    };
    let err = |msg: String| Error::new(ErrorKind::Attribute, msg);
    let Some(p) = probe(&d.probe) else {
        let names = PROBES.iter().map(|p| p.name);
        return Err(err(format!(
            "selector `{label}`: `detect = \"{}\"` names no probe of sel",
            d.probe
        ))
        .with_help(did_you_mean(&d.probe, names.clone()).unwrap_or_else(|| {
            format!(
                "the probes are: {} (sel detect lists them)",
                names.collect::<Vec<_>>().join(", ")
            )
        })));
    };
    if p.kind == Kind::List {
        return Err(err(format!(
            "selector `{label}`: probe `{}` gives a list of features, which cannot choose one value",
            p.name
        )));
    }
    for (i, (v, _)) in d.forms.iter().enumerate() {
        if !selector.values.contains(v) {
            return Err(err(format!(
                "selector `{label}`: `detect_values` names `{v}`, which is not one of its values"
            ))
            .with_help(format!("its values: {}", selector.values.join(", "))));
        }
        if d.forms[..i].iter().any(|(w, _)| w == v) {
            return Err(err(format!(
                "selector `{label}`: `detect_values` names `{v}` twice"
            )));
        }
    }
    for special in [ProbeForm::Absent, ProbeForm::Other] {
        let with: Vec<&str> = d
            .forms
            .iter()
            .filter(|(_, f)| *f == special)
            .map(|(v, _)| v.as_str())
            .collect();
        if with.len() > 1 {
            return Err(err(format!(
                "selector `{label}`: several values stand for {} in `detect_values`: {}",
                if special == ProbeForm::Absent {
                    "None (nothing found)"
                } else {
                    "\"*\" (anything else)"
                },
                with.join(", ")
            )));
        }
    }
    if p.kind == Kind::Version {
        for v in &selector.values {
            if let ProbeForm::Is(form) = d.form_of(v) {
                if Version::parse(&form).is_none() {
                    return Err(err(format!(
                        "selector `{label}`: its value `{v}` stands for `{form}`, but probe `{}` gives versions",
                        p.name
                    ))
                    .with_help(format!(
                        "map it in `detect_values`: to a version (`\"{v}\": \"12.0\"`), to None for a host where the probe finds nothing, or to \"*\""
                    )));
                }
            }
        }
    }
    Ok(())
}

/// The probes the selectors of `graph` are bound to, for [`Host::probe`](super::Host::probe).
pub fn bound_probes(graph: &TargetGraph) -> BTreeSet<String> {
    graph
        .selectors()
        .into_iter()
        .filter_map(|t| t.rule.selector()?.detect.as_ref())
        .map(|d| d.probe.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{Fact, Host};
    use crate::target_graph::Detect;

    fn selector(
        values: &[&str],
        ordered: bool,
        probe: &str,
        forms: &[(&str, ProbeForm)],
    ) -> Selector {
        Selector {
            values: values.iter().map(|v| v.to_string()).collect(),
            default: values[0].to_string(),
            doc: String::new(),
            ordered,
            value_type: crate::target_graph::SelectorType::String,
            detect: Some(Box::new(Detect {
                probe: probe.into(),
                forms: forms
                    .iter()
                    .map(|(v, f)| (v.to_string(), f.clone()))
                    .collect(),
                or_default: false,
            })),
        }
    }

    fn host(probe: &str, value: Option<&str>) -> Host {
        let fact = match value {
            Some(v) => Fact::probed(v),
            None => Fact::absent("none here"),
        };
        Host::from_facts([(probe.to_string(), fact)])
    }

    fn value(s: &Selector, h: &Host) -> Result<Option<String>> {
        let probe = &s.detect.as_ref().unwrap().probe;
        bind(h.fact(probe), &Label::new("flags", "x"), s)
    }

    #[test]
    fn versions_compare_numerically_with_zeros_for_missing_parts() {
        let v = |s| Version::parse(s).unwrap();
        assert!(v("12") < v("12.4"));
        assert!(v("12.10") > v("12.9"));
        assert_eq!(v("3.9"), v("3.9.0"));
        assert_eq!(v("v3"), v("3"));
        assert_eq!(v("6.8.0-45-generic"), v("6.8"));
        assert!(Version::parse("none").is_none());
    }

    #[test]
    fn a_version_probe_gives_the_greatest_value_the_host_satisfies() {
        let cuda = selector(
            &["none", "11", "12"],
            false,
            "cuda.driver",
            &[("none", ProbeForm::Absent)],
        );
        assert_eq!(
            value(&cuda, &host("cuda.driver", Some("12.4")))
                .unwrap()
                .as_deref(),
            Some("12")
        );
        assert_eq!(
            value(&cuda, &host("cuda.driver", Some("11.8")))
                .unwrap()
                .as_deref(),
            Some("11")
        );
        assert_eq!(
            value(&cuda, &host("cuda.driver", None)).unwrap().as_deref(),
            Some("none")
        );
        let e = value(&cuda, &host("cuda.driver", Some("10.2"))).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Detect);
        assert!(
            e.message.contains("`cuda.driver`") && e.message.contains("10.2"),
            "{}",
            e.message
        );
        // Declared order decides for an ordered selector.
        let python = selector(
            &["3.9", "3.9.1", "3.10", "3.12"],
            true,
            "python.python_full_version",
            &[],
        );
        assert_eq!(
            value(&python, &host("python.python_full_version", Some("3.11.2")))
                .unwrap()
                .as_deref(),
            Some("3.10")
        );
        assert_eq!(
            value(&python, &host("python.python_full_version", Some("3.9.0")))
                .unwrap()
                .as_deref(),
            Some("3.9")
        );
    }

    #[test]
    fn a_name_probe_gives_the_equal_value_or_the_catch_all() {
        let os = selector(
            &["linux", "other"],
            false,
            "python.sys_platform",
            &[("other", ProbeForm::Other)],
        );
        assert_eq!(
            value(&os, &host("python.sys_platform", Some("linux")))
                .unwrap()
                .as_deref(),
            Some("linux")
        );
        assert_eq!(
            value(&os, &host("python.sys_platform", Some("freebsd14")))
                .unwrap()
                .as_deref(),
            Some("other")
        );
        let mut strict = selector(&["linux", "win32"], false, "python.sys_platform", &[]);
        assert!(value(&strict, &host("python.sys_platform", Some("darwin"))).is_err());
        strict.detect.as_mut().unwrap().or_default = true;
        assert_eq!(
            value(&strict, &host("python.sys_platform", Some("darwin")))
                .unwrap()
                .as_deref(),
            Some("linux")
        );
    }

    #[test]
    fn bindings_are_checked_when_files_load() {
        let l = Label::new("flags", "x");
        let unmapped = selector(&["none", "12"], false, "cuda.driver", &[]);
        assert!(check_binding(&l, &unmapped)
            .unwrap_err()
            .message
            .contains("`none`"));
        let typo = selector(&["a"], false, "cuda.drivers", &[]);
        assert!(check_binding(&l, &typo)
            .unwrap_err()
            .help
            .clone()
            .unwrap()
            .contains("cuda.driver"));
        let ok = selector(
            &["none", "12"],
            false,
            "cuda.driver",
            &[("none", ProbeForm::Absent)],
        );
        assert!(check_binding(&l, &ok).is_ok());
    }
}
