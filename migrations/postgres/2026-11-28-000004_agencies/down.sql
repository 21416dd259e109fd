DROP TABLE declarations;
DROP TABLE stays;
DROP TABLE alert_hits;
DROP TABLE alerts;
