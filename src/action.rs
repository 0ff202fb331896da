//! Everything a key can do. Named in snake_case so keymaps (TOML) can refer to them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Quit when no text field has focus.
    Quit,
    /// Quit from anywhere (Ctrl-C).
    ForceQuit,
    Help,
    NextTab,
    PrevTab,
    TabTopics,
    TabTail,
    TabCompose,
    TabFeed,
    TabGroups,
    TabBrokers,
    TabSchemas,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    /// Start typing a filter for the current list.
    Filter,
    ClearFilter,
    Refresh,
    /// The version before the one shown (Schemas).
    OlderVersion,
    /// The version after the one shown (Schemas).
    NewerVersion,
    /// Open the selected topic in the Tail tab.
    OpenInTail,
    ToggleInternal,
    SortNext,
    SortReverse,
    CreateTopic,
    DeleteTopic,
    FocusDetails,
    FocusList,
    /// Freeze or resume the tail's view (the consumer keeps going).
    TogglePause,
    /// Stop the Tail tab's search through history (what it found stays).
    StopSearch,
    /// Show the selected record in full.
    ShowDetail,
    CloseDetail,
    /// Cycle the value's view: pretty JSON, raw, hex.
    CycleView,
    /// Copy the value to the clipboard (OSC 52).
    Copy,
    /// Write the buffer (or the filtered records) to an NDJSON file.
    Export,
    /// Change where the tail starts, its partitions and group.
    TailOptions,
    /// Put the keyboard in the composer's value editor.
    FocusEditor,
    /// Send the composed message.
    Send,
    /// Pretty-format the value as JSON.
    FormatJson,
    /// Send a null value (tombstone) instead of the editor's text.
    ToggleTombstone,
    /// Open the list of sent messages.
    History,
    /// Empty the composer's form and delete its saved draft (pressed twice).
    DiscardDraft,
    /// Start or stop the feed's source.
    ToggleSource,
    /// List and edit the X filtered stream's rules.
    EditRules,
    /// Open the cluster switcher.
    SwitchCluster,
    /// Close the overlay in front (the help, the cluster switcher).
    Close,
    /// Connect to the cluster selected in the switcher.
    Connect,
    /// Select the row with the pressed digit's number (the cluster switcher).
    SelectNumbered,
    /// Accept what the dialog, form, filter or picker in front holds (Enter).
    Submit,
    /// The next field of a form.
    NextField,
    /// The previous field of a form.
    PrevField,
    /// Add an X filtered-stream rule (the rules popup).
    AddRule,
    /// Delete the selected X filtered-stream rule (the rules popup).
    DeleteRule,
    /// Show the Groups tab filtered to the groups that consume the selected topic.
    GroupsOfTopic,
    /// Open the Tail tab where the selected group's committed offsets are, without
    /// joining the group: what it has not read yet.
    TailAsGroup,
    /// Preview, then apply, an offset reset of the selected group.
    ResetOffsets,
    /// Delete the selected group (asks to type its name).
    DeleteGroup,
    /// Delete the selected group's committed offsets for one topic.
    DeleteGroupOffsets,
}
