package net.gatehouse.web;

import tools.jackson.databind.json.JsonMapper;

/** The API's JSON mapper (Jackson 3): records as objects, java.time values as ISO-8601 text. */
final class Json {

    static final JsonMapper MAPPER = JsonMapper.builder().build();

    private Json() {
    }
}
