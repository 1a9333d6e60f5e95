package net.gatehouse.testing;

import net.gatehouse.store.Actor;

/** The actor of changes that tests make directly in the store, to set the scene. */
public final class TestActor {

    /** Recorded as {@code test} through the command line's door. */
    public static final Actor TEST = new Actor("test", Actor.Door.CLI);

    private TestActor() {
    }

    /** Someone acting through the console's forms. */
    public static Actor console(String name) {
        return new Actor(name, Actor.Door.CONSOLE);
    }
}
