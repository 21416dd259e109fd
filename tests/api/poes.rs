//! The POE registry.

use serde_json::json;

use crate::on_both_backends;

on_both_backends! {
    async fn the_registry_lists_the_fifteen_posts_for_any_signed_in_user(app: TestApp) {
        let analyst = app.user_token("ana", &["analyst"], &[]).await;
        let poes = app.get("/api/v1/poes", Some(&analyst)).await.expect(200);
        let items = poes.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 15);
        let msu = items.iter().find(|p| p["code"] == "MSU").unwrap();
        assert_eq!(msu["name"], "Maseru Bridge");
        assert_eq!(msu["district"], "Maseru");
        assert_eq!(msu["kind"], "land");
        assert_eq!(msu["automated"], true);
        assert_eq!(msu["hours"]["regular"], "24h");
        let airport = items.iter().find(|p| p["kind"] == "air").unwrap();
        assert_eq!(airport["name"], "Moshoeshoe I International Airport");
        app.get("/api/v1/poes", None).await.expect(401);
    }

    async fn admins_change_hours_for_snow(app: TestApp) {
        let admin = app.admin_token().await;
        let patched = app.patch("/api/v1/poes/SNP", Some(&admin), &json!({
            "hours": {"regular": {"opens": "08:00", "closes": "16:00"},
                      "special": [{"from": "2027-06-20", "to": "2027-06-25", "hours": "closed", "note": "Snow"}]}
        })).await.expect(200);
        assert_eq!(patched.body["hours"]["special"][0]["hours"], "closed");
        assert_eq!(patched.body["name"], "Sani Pass");
        let poes = app.get("/api/v1/poes", Some(&admin)).await.expect(200);
        let snp = poes.body["items"].as_array().unwrap().iter().find(|p| p["code"] == "SNP").unwrap().clone();
        assert_eq!(snp["hours"]["special"][0]["note"], "Snow");
    }

    async fn bad_poe_changes_are_refused(app: TestApp) {
        let admin = app.admin_token().await;
        let bad = app.patch("/api/v1/poes/SNP", Some(&admin), &json!({"hours": {"regular": {"opens": "8am", "closes": "16:00"}}})).await.expect(422);
        assert!(bad.error_fields().contains(&"hours.regular.opens".to_owned()), "{}", bad.text);
        app.patch("/api/v1/poes/SNP", Some(&admin), &json!({"kind": "sea"})).await.expect(422);
        app.patch("/api/v1/poes/XXX", Some(&admin), &json!({"automated": true})).await.expect(404);
        let immigration = app.user_token("imm", &["immigration"], &["SNP"]).await;
        app.patch("/api/v1/poes/SNP", Some(&immigration), &json!({"automated": true})).await.expect(403);
    }

    async fn names_are_limited_in_characters_not_bytes(app: TestApp) {
        // 100 characters, as the document says, even where each takes two bytes in UTF-8.
        let admin = app.admin_token().await;
        let name = "Ngoangoana Ê".repeat(8) + "Êêêê";
        assert_eq!(name.chars().count(), 100);
        let patched = app.patch("/api/v1/poes/NGG", Some(&admin), &json!({"name": name, "district": "É".repeat(100)})).await.expect(200);
        assert_eq!(patched.body["name"], name.as_str());
        let long = app.patch("/api/v1/poes/NGG", Some(&admin), &json!({"name": format!("{name}x")})).await.expect(422);
        assert_eq!(long.error_fields(), vec!["name"]);
        app.patch("/api/v1/poes/NGG", Some(&admin), &json!({"district": " \t "})).await.expect(422);
    }
}
