//! slackvm
