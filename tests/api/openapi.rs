//! The OpenAPI document and the docs page.

use std::collections::BTreeSet;

use crossings::http::API_ROUTES;
use crossings::http::access::{RULES, Who};

use crate::on_both_backends;

/// Routes outside the API scope, documented too.
const OTHER_ROUTES: [(&str, &str); 2] = [("get", "/health/live"), ("get", "/health/ready")];

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

    async fn the_document_is_well_formed_and_states_the_rules(app: TestApp) {
        let doc = app.get("/api/v1/openapi.json", None).await.expect(200).body;
        let schemas = doc["components"]["schemas"].as_object().unwrap();

        // Every reference resolves, and every operation has an id of its own.
        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        for r in &refs {
            let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{r}"));
            assert!(schemas.contains_key(name), "dangling reference {r}");
        }
        let mut ids = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no id"));
                assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
                // Every error is a problem, in problem+json.
                for (status, response) in op["responses"].as_object().unwrap() {
                    if status.starts_with('4') || status.starts_with('5') {
                        let content = response["content"].as_object().unwrap_or_else(|| panic!("{method} {path} {status}"));
                        assert_eq!(content.keys().collect::<Vec<_>>(), ["application/problem+json"], "{method} {path} {status}");
                    }
                }
            }
        }

        // Enums list the words on the wire, and codes come from their tables.
        let wire = |name: &str| schemas[name]["enum"].as_array().unwrap_or_else(|| panic!("{name} has no enum")).clone();
        assert_eq!(wire("Direction"), vec!["entry", "exit"]);
        assert!(wire("DocumentType").contains(&"id_card".into()));
        assert!(wire("StateCode").contains(&"LSO".into()) && wire("StateCode").contains(&"D".into()));
        assert!(!wire("UserRole").contains(&"poe_system".into()));
        // The served document names the registry's POEs.
        let registered = wire("RegisteredPoe");
        assert_eq!(registered.len(), 15);
        assert!(registered.contains(&"MSU".into()));

        // No two types share a schema name: a movement's alert is not the police's alert.
        let alert = schemas["MovementView"]["properties"]["alert"].to_string();
        assert!(alert.contains("#/components/schemas/MovementAlert"), "{alert}");
        assert_eq!(schemas["MovementAlert"]["required"], serde_json::json!(["hit_id", "action", "category", "instruction"]));
        assert!(schemas["MovementAlert"]["properties"].get("reason").is_none(), "the post never sees the police's reason");
        // The new operations are named and the stream says what it sends.
        let paths = &doc["paths"];
        assert_eq!(paths["/api/v1/travellers/search"]["post"]["operationId"], "search_travellers");
        assert_eq!(paths["/api/v1/alert-hits/stream"]["get"]["operationId"], "stream_hits");
        assert!(paths["/api/v1/alert-hits/stream"]["get"]["responses"]["200"]["content"]["text/event-stream"].is_object());
        assert_eq!(schemas["HitView"]["properties"]["matched_by"]["$ref"], "#/components/schemas/MatchedBy");
        assert!(schemas["AlertView"]["properties"]["reason"].is_object());

        let movement = &schemas["MovementInput"]["properties"];
        assert_eq!(movement["poe"]["$ref"], "#/components/schemas/RegisteredPoe");
        assert_eq!(movement["mrz"]["minItems"], 2);
        assert_eq!(movement["mrz"]["maxItems"], 3);
        // A movement may give its MRZ alone; the recording answer says what became of the stay.
        let required = schemas["MovementInput"]["required"].as_array().unwrap();
        assert!(!required.contains(&"traveller".into()) && !required.contains(&"mrz".into()));
        assert_eq!(movement["traveller"]["$ref"], "#/components/schemas/TravellerInput");
        assert!(schemas["MovementView"]["properties"]["stay"].to_string().contains("#/components/schemas/MovementStay"));
        for field in ["permitted_until", "entered_at", "entered_poe", "days", "overstayed"] {
            assert!(schemas["MovementStay"]["properties"][field].is_object(), "MovementStay.{field}");
        }
        assert_eq!(schemas["MovementStay"]["properties"]["days"]["minimum"], 0);
        assert_eq!(schemas["BatchRequest"]["properties"]["movements"]["minItems"], 1);
        assert!(schemas["VoidRequest"]["properties"]["reason"]["pattern"].is_string());

        // The body of logout is optional; statistics answer CSV too.
        assert_ne!(doc["paths"]["/api/v1/auth/logout"]["post"]["requestBody"]["required"], true);
        for stat in ["movements", "summary", "hour-profile", "citizen-flow"] {
            let content = &doc["paths"][format!("/api/v1/stats/{stat}")]["get"]["responses"]["200"]["content"];
            assert!(content["text/csv"].is_object() && content["application/json"].is_object(), "{stat}");
        }

        // The example of a movement is a request that is recorded, and so is the one made of
        // the examples of its fields (each sender has its own idempotency keys).
        let whole = schemas["MovementInput"]["example"].clone();
        let immigration = app.user_token("imm", &["immigration"], &["MSU"]).await;
        app.post("/api/v1/movements", Some(&immigration), &whole).await.expect(201);
        let parts = example_of(&doc, "MovementInput");
        assert!(parts["traveller"]["nationality"].is_string(), "{parts}");
        let other = app.user_token("imm2", &["immigration"], &["MSU"]).await;
        app.post("/api/v1/movements", Some(&other), &parts).await.expect(201);
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

fn collect_refs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", serde_json::Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// An object made of the examples of a schema's properties (following references), as a
/// client generator or schemathesis's examples phase makes it.
fn example_of(doc: &serde_json::Value, name: &str) -> serde_json::Value {
    let schema = &doc["components"]["schemas"][name];
    let mut object = serde_json::Map::new();
    for (field, property) in schema["properties"].as_object().unwrap() {
        let target = property["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"));
        let referenced = target.map(|t| &doc["components"]["schemas"][t]);
        let value = match (first_example(property), referenced) {
            (Some(e), _) => e,
            (None, Some(r)) if r["properties"].is_object() => example_of(doc, target.unwrap()),
            (None, Some(r)) => match first_example(r) {
                Some(e) => e,
                None => continue,
            },
            (None, None) => continue,
        };
        object.insert(field.clone(), value);
    }
    serde_json::Value::Object(object)
}

fn first_example(schema: &serde_json::Value) -> Option<serde_json::Value> {
    schema
        .get("example")
        .cloned()
        .or_else(|| schema["examples"].get(0).cloned())
}
