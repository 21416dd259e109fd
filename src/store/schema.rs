// @generated automatically by Diesel CLI.

diesel::table! {
    alert_changes (seq) {
        seq -> Int8,
        alert_id -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    alert_hits (id) {
        id -> Text,
        alert_id -> Text,
        movement_id -> Text,
        poe -> Text,
        occurred_at -> Timestamp,
        action -> Text,
        created_at -> Timestamp,
        acknowledged_at -> Nullable<Timestamp>,
        acknowledged_by -> Nullable<Text>,
        seq -> Int8,
        outcome -> Nullable<Text>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    alerts (id) {
        id -> Text,
        kind -> Text,
        issuing_state -> Nullable<Text>,
        document_number -> Nullable<Text>,
        surname -> Nullable<Text>,
        given_names -> Nullable<Text>,
        date_of_birth -> Nullable<Date>,
        person_key -> Nullable<Text>,
        category -> Text,
        action -> Text,
        reason -> Text,
        expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        created_by -> Text,
        removed_at -> Nullable<Timestamp>,
        removed_by -> Nullable<Text>,
    }
}

diesel::table! {
    audit_checkpoints (seq) {
        seq -> Int8,
        hash -> Text,
        signed_at -> Timestamp,
        public_key -> Text,
        signature -> Text,
    }
}

diesel::table! {
    audit_head (id) {
        id -> Int4,
        seq -> Int8,
        hash -> Text,
    }
}

diesel::table! {
    audit_log (seq) {
        seq -> Int8,
        at -> Timestamp,
        actor -> Text,
        roles -> Text,
        action -> Text,
        object -> Text,
        client_addr -> Nullable<Text>,
        request_id -> Nullable<Text>,
        reason -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    declarations (id) {
        id -> Text,
        movement_id -> Text,
        reference -> Text,
        goods -> Text,
        value -> Text,
        currency -> Text,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    edge_receipts (movement_id) {
        movement_id -> Text,
        edge_id -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    edge_state (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    edges (id) {
        id -> Text,
        client_id -> Text,
        secret_hash -> Text,
        poe -> Text,
        label -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        last_contact_at -> Nullable<Timestamp>,
        last_backlog -> Nullable<Int8>,
    }
}

diesel::table! {
    holds (id) {
        id -> Text,
        issuing_state -> Text,
        document_number -> Text,
        reason -> Text,
        until -> Date,
        created_at -> Timestamp,
        created_by -> Text,
        released_at -> Nullable<Timestamp>,
        released_by -> Nullable<Text>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Text,
        username -> Text,
        client_addr -> Text,
        failed_at -> Timestamp,
    }
}

diesel::table! {
    /// Pending changes to the counters. The table has no key (appends need none); diesel
    /// wants one named, so the counter's columns stand in for it.
    movement_count_deltas (cuboid, bucket, poe, direction, nationality, sex, age_band, purpose, mode) {
        cuboid -> Int2,
        bucket -> Timestamp,
        poe -> Text,
        direction -> Text,
        nationality -> Text,
        sex -> Text,
        age_band -> Text,
        purpose -> Text,
        mode -> Text,
        count -> Int8,
    }
}

diesel::table! {
    movement_counts (cuboid, bucket, poe, direction, nationality, sex, age_band, purpose, mode) {
        cuboid -> Int2,
        bucket -> Timestamp,
        poe -> Text,
        direction -> Text,
        nationality -> Text,
        sex -> Text,
        age_band -> Text,
        purpose -> Text,
        mode -> Text,
        count -> Int8,
    }
}

diesel::table! {
    movement_keys (principal, client_event_id) {
        principal -> Text,
        client_event_id -> Text,
        movement_id -> Text,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    movements (id) {
        id -> Text,
        principal -> Text,
        client_event_id -> Text,
        payload_hash -> Text,
        poe -> Text,
        direction -> Text,
        occurred_at -> Timestamp,
        recorded_at -> Timestamp,
        recorded_by -> Text,
        mode -> Text,
        purpose -> Text,
        document_type -> Text,
        document_number -> Text,
        issuing_state -> Text,
        nationality -> Text,
        surname -> Text,
        given_names -> Text,
        date_of_birth -> Date,
        sex -> Text,
        mrz -> Nullable<Text>,
        permitted_until -> Nullable<Date>,
        vehicle_registration -> Nullable<Text>,
        vehicle_country -> Nullable<Text>,
        vehicle_category -> Nullable<Text>,
        sequence_anomaly -> Bool,
        outside_hours -> Bool,
        late -> Bool,
        alert_action -> Nullable<Text>,
        voided_at -> Nullable<Timestamp>,
        voided_by -> Nullable<Text>,
        void_reason -> Nullable<Text>,
        erased_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    poe_systems (id) {
        id -> Text,
        client_id -> Text,
        secret_hash -> Text,
        poe -> Text,
        label -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    poes (code) {
        code -> Text,
        name -> Text,
        district -> Text,
        kind -> Text,
        sa_counterpart -> Text,
        automated -> Bool,
        hours -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        session_id -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Text>,
    }
}

diesel::table! {
    stays (opening_id) {
        opening_id -> Text,
        kind -> Text,
        issuing_state -> Text,
        document_number -> Text,
        nationality -> Text,
        opened_at -> Timestamp,
        opened_poe -> Text,
        permitted_until -> Nullable<Date>,
        ends_on -> Nullable<Date>,
        closing_id -> Nullable<Text>,
        closed_at -> Nullable<Timestamp>,
        closed_on -> Nullable<Date>,
        closed_poe -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        roles -> Text,
        poes -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        password_change_required -> Bool,
        totp_secret -> Nullable<Text>,
        totp_enabled -> Bool,
        totp_last_step -> Nullable<Int8>,
    }
}

diesel::joinable!(alert_changes -> alerts (alert_id));
diesel::joinable!(alert_hits -> alerts (alert_id));
diesel::joinable!(alert_hits -> movements (movement_id));
diesel::joinable!(declarations -> movements (movement_id));
diesel::joinable!(edge_receipts -> edges (edge_id));
diesel::joinable!(edge_receipts -> movements (movement_id));
diesel::joinable!(edges -> poes (poe));
diesel::joinable!(movements -> poes (poe));
diesel::joinable!(poe_systems -> poes (poe));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(sessions -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    alert_changes,
    alert_hits,
    alerts,
    audit_checkpoints,
    audit_head,
    audit_log,
    declarations,
    edge_receipts,
    edge_state,
    edges,
    holds,
    login_failures,
    movement_count_deltas,
    movement_counts,
    movement_keys,
    movements,
    poe_systems,
    poes,
    refresh_tokens,
    sessions,
    stays,
    users,
);
