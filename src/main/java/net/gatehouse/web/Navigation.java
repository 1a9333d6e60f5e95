package net.gatehouse.web;

import java.util.List;

/** The console's sections, in the order of the navigation bar. */
public final class Navigation {

    public record Item(String path, String section, String label) {
    }

    public static final List<Item> ITEMS = List.of(
            new Item("/", "dashboard", "Dashboard"),
            new Item("/domains", "domains", "Domains"),
            new Item("/recipients", "recipients", "Valid recipients"),
            new Item("/directories", "directories", "Directories"),
            new Item("/networks", "networks", "Trusted networks"),
            new Item("/settings", "settings", "MTA advanced settings"),
            new Item("/tester", "tester", "Address tester"),
            new Item("/log", "log", "Message log"),
            new Item("/queue", "queue", "Queue"),
            new Item("/nodes", "nodes", "Nodes"),
            new Item("/users", "users", "Users"),
            new Item("/audit", "audit", "Audit log"));

    private Navigation() {
    }
}
