// @generated automatically by Diesel CLI.

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
    login_throttle (username) {
        username -> Text,
        failures -> Int4,
        locked_until -> Nullable<Timestamp>,
        last_failure_at -> Timestamp,
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
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        roles -> Text,
        poes -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(movements -> poes (poe));
diesel::joinable!(poe_systems -> poes (poe));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(sessions -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    audit_head,
    audit_log,
    login_throttle,
    movements,
    poe_systems,
    poes,
    refresh_tokens,
    sessions,
    users,
);
