//! nash's correlations against scipy.stats 1.17.1 on fixtures with and without ties
//! (`scipy_reference.py` wrote `scipy_reference.json`). Coefficients agree to 1e-12;
//! p-values, which come from different special-function implementations, to 1e-9 relative.

use reports::rank::{kendall_tau_b, pearson, spearman};
use serde_json::Value;

fn close(a: f64, b: f64, tol: f64, what: &str) {
    assert!((a - b).abs() <= tol, "{what}: nash {a} vs scipy {b}");
}

fn close_rel(a: f64, b: f64, rel: f64, what: &str) {
    assert!(
        (a - b).abs() <= rel * b.abs().max(1e-300),
        "{what}: nash {a:e} vs scipy {b:e}"
    );
}

#[test]
fn correlations_match_scipy() {
    let text = include_str!("scipy_reference.json");
    let reference: Value = serde_json::from_str(text).unwrap();
    let cases = reference["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let vec = |k: &str| -> Vec<f64> {
            case[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        };
        let num = |k: &str| case[k].as_f64().unwrap();
        let (x, y) = (vec("x"), vec("y"));
        let tau = kendall_tau_b(&x, &y);
        close(
            tau.value,
            num("kendall_tau_b"),
            1e-12,
            &format!("{name} tau-b"),
        );
        close_rel(
            tau.p_value,
            num("kendall_p"),
            1e-9,
            &format!("{name} tau p"),
        );
        let rho = spearman(&x, &y);
        close(
            rho.value,
            num("spearman_rho"),
            1e-12,
            &format!("{name} rho"),
        );
        close_rel(
            rho.p_value,
            num("spearman_p"),
            1e-9,
            &format!("{name} rho p"),
        );
        let r = pearson(&x, &y);
        close(r.value, num("pearson_r"), 1e-12, &format!("{name} r"));
        close_rel(r.p_value, num("pearson_p"), 1e-9, &format!("{name} r p"));
    }
}

#[test]
fn significance_tests_match_scipy() {
    use reports::significance::{friedman, mann_whitney, wilcoxon};
    let reference: Value = serde_json::from_str(include_str!("scipy_reference.json")).unwrap();
    let floats = |v: &Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    for case in reference["tests"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (x, y) = (floats(&case["x"]), floats(&case["y"]));
        let t = if name.starts_with("wilcoxon") {
            wilcoxon(&x, &y)
        } else {
            mann_whitney(&x, &y)
        };
        close(
            t.statistic,
            case["statistic"].as_f64().unwrap(),
            1e-9,
            &format!("{name} statistic"),
        );
        close_rel(
            t.p_value,
            case["p"].as_f64().unwrap(),
            1e-9,
            &format!("{name} p"),
        );
    }
    let f = &reference["friedman"];
    let blocks: Vec<Vec<f64>> = f["blocks"].as_array().unwrap().iter().map(floats).collect();
    let t = friedman(&blocks);
    close(
        t.statistic,
        f["statistic"].as_f64().unwrap(),
        1e-9,
        "friedman statistic",
    );
    close_rel(t.p_value, f["p"].as_f64().unwrap(), 1e-9, "friedman p");
}
