//! The OpenAPI document and the docs page.

use std::collections::BTreeSet;

use crossings::http::API_ROUTES;
use crossings::http::access::{RULES, Who};

use crate::on_both_backends;

/// Routes outside the API scope, documented too.
const OTHER_ROUTES: [(&str, &str); 3] = [
    ("get", "/health/live"),
    ("get", "/health/ready"),
    ("get", "/metrics"),
];

on_both_backends! {
    async fn the_document_has_every_route_and_only_routes(app: TestApp) {
        let doc = app.get("/api/v1/openapi.json", None).await.expect(200);
        assert!(doc.body["openapi"].as_str().unwrap().starts_with("3."));
        let mut documented = BTreeSet::new();
        for (path, item) in doc.body["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                documented.insert((method.clone(), path.clone()));
            }
        }
        let routed: BTreeSet<(String, String)> = API_ROUTES
            .iter()
            .map(|(m, p)| (m.to_string(), format!("/api/v1{p}")))
            .chain(OTHER_ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())))
            .collect();
        let missing: Vec<_> = routed.difference(&documented).collect();
        let extra: Vec<_> = documented.difference(&routed).collect();
        assert!(missing.is_empty(), "routes without documentation: {missing:?}");
        assert!(extra.is_empty(), "documented paths that are not routes: {extra:?}");

        // Every endpoint that needs a token says so, with the bearer scheme.
        assert_eq!(doc.body["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        for rule in RULES {
            let op = &doc.body["paths"][format!("/api/v1{}", rule.path)][rule.method.to_ascii_lowercase()];
            if matches!(rule.who, Who::Roles(_)) {
                let security = op["security"].as_array().unwrap_or_else(|| panic!("{} {} has no security", rule.method, rule.path));
                assert!(security.iter().any(|s| s.get("bearer").is_some()), "{} {}", rule.method, rule.path);
            }
        }
        // Errors are documented as problems.
        assert!(doc.body["components"]["schemas"]["Problem"].is_object());
        let record = &doc.body["paths"]["/api/v1/movements"]["post"]["responses"];
        for status in ["201", "200", "403", "409", "422"] {
            assert!(record[status].is_object(), "POST /movements lacks {status}");
        }
        assert!(doc.body["components"]["schemas"]["MovementInput"].is_object());
    }

    async fn the_docs_page_is_served_from_the_binary(app: TestApp) {
        let redirect = app.get("/docs", None).await;
        assert_eq!(redirect.status.as_u16(), 308);
        let page = app.get("/docs/", None).await.expect(200);
        assert!(page.text.to_lowercase().contains("swagger"), "{}", page.text);
        let init = app.get("/docs/swagger-initializer.js", None).await.expect(200);
        assert!(init.text.contains("/api/v1/openapi.json"), "{}", init.text);
        app.get("/docs/swagger-ui-bundle.js", None).await.expect(200);
    }
}
