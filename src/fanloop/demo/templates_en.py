"""English post templates for the Lumen demo community.

Same shape as :mod:`fanloop.demo.templates_zh`: ``(tags, title, body)`` or
``(tags, title, body, board)``, and ``(tags, title, body, steps)`` for bug reports, with
``str.format`` slots filled by :func:`fanloop.demo.content.make_posts`. English templates use ``{money}`` (an amount with its
currency sign) instead of ``{amount}``.

Most English questions and complaints on the Lumen Wallet board do not come from these
templates but from the Banking77 sample in ``data/banking77_sample.csv`` (see
``data/ATTRIBUTION.md``).
"""

from __future__ import annotations

BUG = [
    ("battery update", "Huge overnight battery drain since {version}",
     "Since updating my {model} to LumenOS {version} I lose about {drain}% overnight. I charge to "
     "100% {hour}, wake up at {remain}%. On {old_version} it was 2-3% at most.\n\nAlready tried a "
     "restart and turning off background refresh. No change.",
     ["Update the {model} to LumenOS {version}", "Charge to 100% {hour} and unplug",
      "Leave the phone locked overnight", "In the morning the battery is at {remain}%"]),
    ("battery", "Battery drains {drain}% overnight, \"System services\" at the top",
     "Battery usage shows **System services** using almost half of the battery while the phone sits "
     "on my nightstand. Happens even in airplane mode, so something keeps waking the phone up.\n\n- "
     "Model: {model}\n- LumenOS {version}",
     ["Charge to 100% and lock the phone overnight", "Open Settings > Battery > Usage the next morning",
      "\"System services\" shows close to half of the usage"]),
    ("battery", "Phone shuts down at 20% battery",
     "My {model} turns itself off at around 20%. When I plug it in and boot it shows {low}%. Happens "
     "a couple of times a day, worse outside in the cold.",
     ["Use the phone until the battery is around 20%", "Keep using it outdoors in the cold",
      "Phone shuts down; after plugging in it shows {low}%"]),
    ("battery update", "Fast charging stopped working after {version}",
     "Original charger and cable. The charging screen used to say \"Super charging\"; since the update "
     "it just says \"Charging\" and it takes over two hours from {low}% to full.",
     ["Update to LumenOS {version}", "Connect the original charger and cable",
      "Charging screen shows \"Charging\" instead of \"Super charging\""]),
    ("battery", "Screen-on time dropped to {sot} hours",
     "I used to get {sot_old} hours of screen-on time, now barely {sot}. Same usage: messaging, "
     "maps, some video. Something in the latest update is eating battery.",
     ["Charge to 100%", "Use the phone normally (messaging, maps, video)",
      "Battery is empty after about {sot} hours of screen-on time"]),
    ("camera", "Camera can't focus on close objects",
     "On my {model} the camera keeps hunting when I shoot anything closer than ~20 cm: the focus box "
     "jumps back and forth and half the shots are blurry. Started with {version}. Main and telephoto "
     "lenses both affected, ultra-wide is fine.",
     ["Open Camera in Photo mode", "Point at an object about 20 cm away", "Tap to focus",
      "Focus box jumps back and forth; the photo is blurry"]),
    ("camera", "Night mode photos have a purple tint",
     "Night mode shots of streets in {city} come out purple, especially around street lights. "
     "Turning night mode off fixes the colours.",
     ["Open Camera at night and switch to Night mode", "Shoot a street with street lights",
      "The photo has a purple tint around the lights"]),
    ("camera performance", "Viewfinder freezes when switching to 3x",
     "Switching from 1x to 3x freezes the preview for about a second. While recording video the "
     "switch drops frames. {model}, LumenOS {version}.",
     ["Open Camera", "Switch from 1x to 3x", "Preview freezes for about a second"]),
    ("camera", "\"Camera in use by another app\" when scanning QR codes",
     "Scanning a QR code in {app} often fails with \"Camera is being used by another app\". Only a "
     "reboot fixes it.",
     ["Open the QR scanner in {app}", "Scan a code and close the scanner, a few times",
      "Open it again: \"Camera is being used by another app\""]),
    ("display", "Screen flickers at low brightness",
     "Below {brightness}% brightness there is visible flicker, very obvious on grey backgrounds. It "
     "gives me headaches at night. {model}, {version}.",
     ["Turn auto-brightness off", "Set brightness below {brightness}%",
      "Open a screen with a grey background", "Visible flicker"]),
    ("display", "Auto-brightness keeps pulsing indoors",
     "Sitting still in the same room, the brightness goes up and down every ten seconds or so. "
     "Turning auto-brightness off stops it.",
     ["Turn auto-brightness on", "Stay still in a room with steady light",
      "Brightness goes up and down every ten seconds or so"]),
    ("display", "Dark mode makes text unreadable in {app}",
     "With system dark mode on, some screens in {app} show black text on a black background. I have "
     "to turn dark mode off to read anything.",
     ["Turn on dark mode", "Open {app}", "Go to the profile screen: some text is black on black"]),
    ("network", "5G shows full bars but no data",
     "In {city} on {carrier}: the 5G icon is there, full signal, but pages don't load. Switching to "
     "4G fixes it instantly. Very common on my commute.",
     ["Use a {carrier} SIM with 5G on", "Move around {city} (train, indoors)", "Open a web page",
      "5G shows full bars but the page doesn't load; switching to 4G fixes it"]),
    ("network", "Wi-Fi disconnects when the screen is off",
     "On my 5 GHz home network the phone drops Wi-Fi about {minutes} minutes after locking. Messages "
     "from {app} arrive late because of it.",
     ["Connect to 5 GHz Wi-Fi", "Lock the phone for {minutes} minutes",
      "Unlock: Wi-Fi has dropped and reconnects"]),
    ("network update", "Wi-Fi speed capped at {slow} Mbps after update",
     "Same router: laptop gets {speed} Mbps, my {model} gets around {slow} Mbps since {version}. Was "
     "fine before.",
     ["Update to LumenOS {version}", "Connect to the home router",
      "Run a speed test: about {slow} Mbps (the laptop gets {speed} Mbps)"]),
    ("network", "Hotspot turns itself off after a few minutes",
     "Tethering my laptop, the hotspot switches off after a few minutes even though \"Turn off when "
     "no devices connected\" is disabled.",
     ["Turn on the hotspot", "Connect a laptop and browse", "Hotspot turns off after a few minutes"]),
    ("bluetooth update", "Earbuds keep disconnecting since {version}",
     "My {earbuds} drop the connection every 10-15 minutes and reconnect a few seconds later. "
     "Firmware is up to date. Started right after the update.",
     ["Connect {earbuds}", "Play music", "Walk around with the phone in a pocket for 15 minutes",
      "Earbuds disconnect and reconnect"]),
    ("bluetooth", "Car Bluetooth connects but no audio",
     "The car shows as connected but maps and music are silent until I toggle Bluetooth off and on. "
     "Every single morning.",
     ["Get in the car and let the phone connect over Bluetooth", "Start navigation or music",
      "No audio until Bluetooth is toggled"]),
    ("bluetooth notifications", "Lumen Watch 2 keeps losing connection",
     "The watch says \"Disconnected\" even with the phone in my pocket, so I miss notifications. "
     "{model}, {version}.",
     ["Pair Lumen Watch 2", "Put the phone in a pocket",
      "Watch shows \"Disconnected\" and notifications stop"]),
    ("notifications", "{app} notifications delayed by {minutes} minutes",
     "When the phone is locked, {app} messages arrive {minutes} minutes late, all at once when I "
     "unlock.\n\nWhat I already did:\n\n- allowed background activity\n- allowed auto-start\n- set battery "
     "to **Unrestricted**\n\nStill delayed.",
     ["Allow auto-start and background activity for {app}", "Lock the phone for {minutes} minutes",
      "Send yourself a message from another phone", "No notification until the screen is turned on"]),
    ("notifications audio", "Do Not Disturb stays on after its schedule ends",
     "DND is scheduled {hour} to 7am. In the morning it shows as off but calls still don't ring. "
     "Missed several calls this week.",
     ["Schedule Do Not Disturb {hour} to 7am", "Wait for the schedule to end", "Receive a call: no ringtone"]),
    ("performance", "Phone overheats and drops frames while gaming",
     "After about ten minutes of gaming the back gets really hot (I'd guess {temp}°C) and the frame "
     "rate drops from 60 to the 30s. {model}, LumenOS {version}.",
     ["Start a 3D game at high graphics", "Play for 10 minutes", "Phone gets hot and the frame rate drops"]),
    ("performance update", "Home screen stutters after {version}",
     "Swiping between home screens and pulling down the shade both stutter since the update. Phone "
     "is {months} months old, half the storage free.",
     ["Update to LumenOS {version}", "Swipe between home screens",
      "Pull down the notification shade: stutter"]),
    ("performance", "Apps reload every time I switch back",
     "I switch away from {app} to reply to a message, come back and it restarts from scratch. With "
     "12 GB of RAM this shouldn't happen.",
     ["Open {app}", "Switch to another app to reply to a message",
      "Switch back: {app} restarts from scratch"]),
    ("update", "OTA download stuck at {pct}%",
     "The {version} update stops downloading at {pct}%. Rebooting and switching networks didn't help.",
     ["Open Settings > System update", "Download {version}", "Progress stops at {pct}%"]),
    ("wallet network", "NFC transit payment fails at the gates",
     "Tapping my {model} at {transit} in {city} often does nothing; I have to tap three or four "
     "times. It was instant before {version}. Embarrassing with a queue behind me.",
     ["Add a transit card in Lumen Wallet", "Turn on Express mode", "Tap the phone at {transit}",
      "Nothing happens; several taps needed"]),
    ("wallet", "Lumen Wallet opens to a blank white screen",
     "Lumen Wallet shows a white screen and never loads. Clearing the cache fixes it for a day, then "
     "it's back. {model}, {version}.",
     ["Open Lumen Wallet", "Wait on the start screen", "App stays on a blank white screen"]),
    ("wallet", "Express transit doesn't work with the screen locked",
     "Express mode is on, but paying at {place} only works after unlocking the phone.",
     ["Turn on Express mode for the card", "Lock the phone",
      "Tap to pay at {place}: nothing happens until the phone is unlocked"]),
    ("gestures", "Back gesture sometimes ignored",
     "Swiping in from the right edge fails two or three times out of ten, worse in landscape. "
     "LumenOS {version}.",
     ["Turn on gesture navigation", "Open any app in landscape", "Swipe in from the right edge",
      "Back is sometimes not triggered"]),
    ("audio", "Speaker crackles above {vol}% volume",
     "Music through the loudspeaker distorts above {vol}% volume. It didn't before the update. "
     "{model}.",
     ["Play music through the speaker", "Raise the volume above {vol}%", "Sound crackles"]),
    ("storage", "\"System data\" using {gb} GB and growing",
     "Storage shows {gb} GB of **System data**. The cleaner frees a few hundred MB at most and my "
     "256 GB phone is nearly full.",
     ["Open Settings > Storage", "Wait for the scan to finish", "\"System data\" shows {gb} GB",
      "Tap Clean up: only a few hundred MB freed"]),
]

SUGGESTION = [
    ("battery", "Add an 80% charge limit option",
     "Please let us cap charging at 80% or 85%. Lots of us charge overnight and the current "
     "\"smart charging\" is unpredictable."),
    ("battery", "More detail in battery usage, please",
     "\"System services\" tells me nothing. Break it down by service so we can find what drains the "
     "battery overnight."),
    ("battery", "Scheduled battery saver",
     "Let battery saver turn on automatically {hour} and off at 7am, with background refresh paused."),
    ("camera", "RAW support in Pro mode", "Pro mode only saves JPEG. A RAW option would help a lot for editing."),
    ("camera", "Manual exposure time in night mode",
     "Night mode is fully automatic. For stars I'd love to set 10 or 20 second exposures myself."),
    ("camera", "Add a level indicator to the camera", "A horizon level next to the grid option would be great for architecture shots."),
    ("display", "Per-app dark mode setting",
     "Forced dark mode breaks some apps (like {app}). Please let us turn it off per app instead of only globally."),
    ("display", "Add a DC dimming / high-frequency PWM toggle",
     "The flicker at low brightness bothers sensitive eyes. Please add a DC dimming switch like other phones have."),
    ("display", "Custom always-on display", "Let us choose clock styles, add a photo and set the hours the always-on display is active."),
    ("network", "Smart 5G switch",
     "Where 5G is weak it keeps dropping data. A toggle to fall back to 4G automatically would help "
     "stability and battery."),
    ("network", "Show Wi-Fi band and signal strength", "My router has 2.4 and 5 GHz networks with the same name; please show the band in the list."),
    ("bluetooth", "Show left/right earbud battery separately", "With {earbuds} I only see one battery level. Left, right and case would be much more useful."),
    ("bluetooth", "Audio sharing to two headphones", "Would love to play audio to two pairs of earbuds at once for watching films together."),
    ("notifications", "Notification history", "I often swipe away notifications by accident. A 24-hour history would be great."),
    ("notifications", "One switch for \"keep messages on time\"",
     "To get {app} messages on time I have to change settings in three or four places. "
     "One switch per app would be so much simpler."),
    ("performance", "Show temperature and FPS in game mode", "An overlay with the temperature and frame rate would be nice for gamers."),
    ("update", "More detailed changelogs",
     "\"Bug fixes and stability improvements\" isn't enough. Please list what was fixed, e.g. whether the "
     "overnight battery drain is addressed."),
    ("update", "Let us postpone update reminders", "A \"remind me in a week\" option instead of a daily pop-up, please."),
    ("wallet", "Support more transit systems in Lumen Wallet", "{city} transit isn't supported yet. I travel there a lot, please add it."),
    ("wallet", "Low balance alerts for transit cards", "Notify me when the balance drops below {money}, or offer auto top-up."),
    ("wallet", "Monthly spending summary in Lumen Wallet", "A simple monthly summary of card and transit spending would be really handy."),
    ("gestures", "Adjustable back gesture sensitivity",
     "In {app} swiping from the left edge to open the side menu triggers Back instead. Please add sensitivity "
     "settings or per-app exclusions."),
    ("gestures", "One-handed mode gesture", "The {model} is big. A swipe-down gesture for one-handed mode would help a lot."),
    ("audio", "Per-app volume", "Let music, video and games each keep their own volume level."),
    ("storage", "Explain what \"System data\" contains",
     "It's {gb} GB and I have no idea what it is. List it, and add a clean-up button for what's safe to delete."),
    ("", "Filter community posts by phone model", "The feedback boards are busy. Let me show only posts about the {model}.", "lounge"),
    ("update", "Publish a known-issues list",
     "A pinned post listing known issues and their status (battery drain, delayed notifications...) would "
     "stop so many duplicate threads.", "lounge"),
]

COMPLAINT = [
    ("battery update", "Every update makes the battery worse",
     "{old_version} to {version} and battery life is worse again. Losing {drain}% overnight is not acceptable. "
     "I've reported this several times with no answer."),
    ("battery", "Overnight drain still not fixed after a month",
     "Reported it last month, sent logs when asked, and on {version} it still drops {drain}% every night. "
     "Can we get a real date for a fix?"),
    ("battery", "Battery health at {health}% after {months} months",
     "My {model} is {months} months old and battery health is already {health}%. Support says that's normal wear. "
     "It isn't."),
    ("camera", "When will the close-up focus bug be fixed?",
     "Focus hunting on close objects has been there for several versions and {version} still has it. "
     "Food, documents, everything is blurry. **This is supposed to be a camera flagship.**"),
    ("camera", "Shutter lag ruins every photo of my kids",
     "Half a second between pressing the shutter and the capture. Kids move, photos blur. "
     "Maybe two usable shots out of ten."),
    ("display", "Low-brightness flicker hurts my eyes and support only says reboot",
     "My eyes hurt after reading at night. Support told me to restart and factory reset. That doesn't fix PWM flicker."),
    ("network", "5G data drops are unacceptable",
     "Full 5G bars and nothing loads on my commute in {city}. It has been like this for several versions. "
     "I keep the phone on 4G, so why did I buy a 5G phone?"),
    ("network", "Reception much worse than my old phone",
     "Same spot, same {carrier} SIM: my old phone had full bars, the {model} has one or two and no service in the car park."),
    ("bluetooth", "Your own earbuds don't even work properly",
     "{earbuds} and {model} are both Lumen products and Bluetooth still drops every day. Come on."),
    ("notifications", "Missed an important message because of delayed notifications",
     "My manager's message in {app} arrived {minutes} minutes late. Every keep-alive setting is on. "
     "Still delayed."),
    ("notifications audio", "My alarm didn't go off!",
     "Alarm was set, volume wasn't zero, and it didn't ring. I was half an hour late for work. This must not happen."),
    ("performance", "Overheating makes the phone unusable in summer",
     "Ten minutes of video outside and the camera closed itself because the phone was too hot."),
    ("performance", "Laggy after only {months} months",
     "Apps open slowly and the home screen drops frames. It wasn't like this when I bought it."),
    ("update", "Updates reach my model last",
     "Other models got {version} weeks ago and my {model} is still on {old_version}. Do long-time owners not matter?"),
    ("update", "The last update broke three things",
     "Since {version}:\n\n1. faster battery drain\n2. delayed notifications\n3. earbuds disconnecting\n\n"
     "Please test properly before pushing updates."),
    ("notifications", "Too many promotional notifications", "Theme store, app store, widgets: ads everywhere. I turn one off and another appears."),
    ("wallet network", "Transit payment failed again at rush hour",
     "Tapped my phone five or six times at {transit} in {city} this morning and nothing. Queue behind me, had to "
     "dig out a physical card. **Third time this week.**"),
    ("wallet", "Top-up taken but balance not updated",
     "I topped up {money} in Lumen Wallet, the money left my account and the balance didn't change. "
     "Support says wait {days} days."),
    ("gestures", "Back gesture triggers by accident all the time",
     "Swiping to turn pages in {app} keeps triggering Back. The gesture area is far too wide."),
    ("audio", "Call volume too low to hear outside", "Volume at max and I still can't hear people when I'm by a road."),
    ("storage", "{gb} GB of System data on a 256 GB phone",
     "I barely installed anything and System data takes {gb} GB. What's the point of buying more storage?"),
    ("", "Support replies are copy-paste", "Waited half an hour in chat and got scripted answers. Nothing solved.", "lounge"),
    ("", "Feedback stuck \"In progress\" for a month",
     "My notification delay report has said \"In progress\" for a month with no update at all.", "lounge"),
    ("battery", "Waited {days} days for a battery replacement", "Swollen battery, service centre has no stock, {days} days and counting."),
    ("", "Staff never reply to threads",
     "Threads with hundreds of people reporting the same problem and not a single official reply.", "lounge"),
]

QUESTION = [
    ("battery", "How much overnight drain is normal?",
     "On my {model} I lose {drain}% overnight with Wi-Fi on. Is that normal? What do you all get?"),
    ("battery update", "Is battery life better on {version}?", "Still on {old_version}. Those of you who updated: is the battery drain fixed?"),
    ("battery", "Which chargers support fast charging?", "I have a few third-party chargers. What wattage or standard do I need?"),
    ("camera", "Where is macro mode?", "Does the {model} switch to macro automatically or do I need to enable it?"),
    ("camera", "How do I remove the watermark from photos?", "Every photo has the model name in the corner. How do I turn it off?"),
    ("display", "How do I set 120 Hz?", "Scrolling doesn't feel as smooth as advertised. Is it 60 Hz by default?"),
    ("display", "Can dark mode follow sunset and sunrise?", "I'd like dark mode to switch on automatically in the evening."),
    ("network", "How do I turn off 5G?", "5G is unreliable where I live. How do I force 4G?"),
    ("network", "Does the {model} support eSIM on {carrier}?", "Thinking of moving to eSIM. Anyone done it on {carrier}?"),
    ("bluetooth update", "How do I update {earbuds} firmware?", "People say new firmware fixes the disconnects but I never get an update prompt."),
    ("bluetooth", "Can earbuds connect to phone and laptop at once?", "Do {earbuds} support multipoint? How do I set it up?"),
    ("notifications", "How do I make {app} notifications arrive on time?", "They're often minutes late. Which settings should I change?"),
    ("performance", "What temperature is normal while gaming?", "The back gets quite warm. At what point should I worry?"),
    ("performance", "Where is game mode?", "Just got my {model} and can't find game mode anywhere."),
    ("update", "When will {version} reach the {model}?", "Other models have {version} already. Any ETA for the {model}?"),
    ("update", "How do I join the LumenOS beta?", "Happy to test and send feedback. Where do I sign up?"),
    ("update", "Can I go back from beta to stable?", "The beta has a few issues for me. Will downgrading wipe my data?"),
    ("wallet", "Does Lumen Wallet work with transit in {city}?", "Just moved to {city}. Can I tap my phone on buses and trains here?"),
    ("wallet", "Moving transit cards to a new phone", "Got a new {model}. How do I move my transit card and its balance from the old phone?"),
    ("wallet", "Does express transit work when the battery is dead?", "Some phones can still pay for transit when switched off. Can the {model}?"),
    ("gestures", "Can I switch back to three-button navigation?", "My dad can't get used to gestures. Is there a way to get the buttons back?"),
    ("audio", "Where is spatial audio?", "With {earbuds} connected, where do I turn on spatial audio?"),
    ("storage", "What is \"System data\" and can I delete it?", "It's {gb} GB. Is any of it safe to remove?"),
    ("", "X3 or X3 Pro?", "Budget stretches to the Pro. Is the difference worth it for photos and commuting?", "lounge"),
    ("", "Is there a Lumen store in {city}?", "I'd like to try the phone before buying. Anywhere in {city}?", "lounge"),
]

PRAISE = [
    ("battery update", "Battery life is way better on {version}",
     "Since {version} I end the day with {left}% left. I used to charge twice a day. Thank you!"),
    ("battery update", "Overnight drain finally fixed!", "Down from {drain}% a night to about 2% on {version}. Great work, engineers."),
    ("camera", "Portrait mode is stunning", "Took family portraits at the weekend. The background blur looks natural and everyone loved them."),
    ("camera", "Night shots from {city}", "Handheld night shots by the river in {city}, sharp and clean. Kudos to the camera team."),
    ("camera", "Telephoto saved my concert photos", "Back row seats and the {model} telephoto still got sharp shots of the stage."),
    ("display", "Best screen I've had", "Watching films on the {model} is a joy. Bright, accurate colours."),
    ("display update", "DC dimming is a game changer", "Since {version} added DC dimming my eyes feel so much better at night. Thanks for listening!"),
    ("network", "5G speeds in {city} are great", "Just measured {speed} Mbps down on {carrier}, and steady on the train too."),
    ("bluetooth", "Earbuds pair instantly", "{earbuds} pop up as soon as I open the case. Battery levels at a glance. Love it."),
    ("notifications update", "Notification delays fixed in {version}", "{app} messages used to be late; since {version} they arrive instantly. Thanks!"),
    ("performance", "Still smooth after {months} months", "Over a hundred apps installed and my {model} is as fast as day one."),
    ("performance", "Stable 60 fps and it stays cool", "An hour of gaming, steady frame rate, only a bit warm. Big step up from the last generation."),
    ("update", "The bug I reported got fixed", "Reported Bluetooth drops here last month and {version} fixed it. Impressive turnaround.", "lounge"),
    ("update", "Great changelog this time", "The {version} release notes actually say what changed. Please keep it up."),
    ("wallet", "Transit payments are so fast now", "Tap and go at {transit} in {city}. Way quicker than digging out a card."),
    ("wallet", "Lumen Wallet is really handy", "Cards, transit and building access all in one place. Haven't carried my wallet in weeks."),
    ("gestures", "Gestures feel super fluid", "Back and app switching gestures track my finger perfectly."),
    ("audio", "Speakers are surprisingly good", "Watching series on the speakers sounds full and wide. Didn't expect that from the {model}."),
    ("audio", "Call noise cancellation is excellent", "Called from a busy street and the other side couldn't hear the traffic at all."),
    ("storage", "Moving to the new phone took 30 minutes", "Switched to the {model} with the transfer tool, even my home screen layout came across."),
    ("", "Third Lumen phone and still happy", "From the X1 to the {model}: each one better than the last.", "lounge"),
    ("", "Lovely service at the {city} store", "Staff fitted a screen protector and checked my battery health for free.", "lounge"),
    ("", "Dropped it, not a scratch", "Fell off the table onto tiles and the screen is perfect. Solid build.", "lounge"),
    ("update", "Staff in the beta group are great", "Reported a bug in the beta group and an engineer followed up the same day.", "lounge"),
    ("battery", "Finally a full day of battery", "7am to 11pm with {left}% left on my {model}. Very happy."),
]

# Optional first and last lines added to bodies, by kind.
OPENERS = {
    "bug": ["", "Hi all, reporting a bug.\n\n", "Not sure if it's just me, but: ", "**Problem**\n\n"],
    "suggestion": ["Small idea: ", "Hi team! ", "Been using the phone for a while and have a request.\n\n"],
    "complaint": ["Sorry, I need to vent.\n\n", "Honestly disappointed. ", ""],
    "question": ["Quick question: ", "Newbie here. ", ""],
    "praise": ["Credit where it's due! ", "Some positivity for once.\n\n", ""],
}
CLOSERS = {
    "bug": ["\n\nAnyone else?", "\n\nLogs already sent through Report a problem.", "\n\nHope this gets looked at soon."],
    "suggestion": ["\n\nWhat do you all think?", "\n\nUpvote if you agree!", "\n\nWould love to see it in the next update."],
    "complaint": ["\n\nI expect better.", "\n\nThis really affects daily use.", "\n\nThinking about switching brands."],
    "question": ["\n\nThanks in advance!", "\n\nAny help appreciated.", ""],
    "praise": ["\n\nKeep it up!", "\n\nThanks, team.", ""],
}
TITLE_PREFIXES = {"bug": "[Bug] ", "suggestion": "[Idea] ", "complaint": "", "question": "[Help] ", "praise": ""}
BUG_FOOTER = "\n\n---\nDevice: {model} · LumenOS {version}"

KINDS = {
    "bug": BUG,
    "suggestion": SUGGESTION,
    "complaint": COMPLAINT,
    "question": QUESTION,
    "praise": PRAISE,
}


TIPS = {
    "battery": "Check Settings > Battery > Usage to see what wakes the phone; turning off Background refresh and "
               "Wi-Fi scanning for now reduces the overnight drain.",
    "camera": "Clear the Camera app's data in Settings > Apps > Camera and restart it; for close-ups, switching to "
              "Macro mode focuses much more reliably.",
    "display": "Turn on Settings > Display > Eye comfort > Low-brightness anti-flicker and switch off "
               "auto-brightness for now.",
    "network": "Turn off Smart 5G in Settings > Mobile network or stay on 4G for now; for Wi-Fi drops, disable "
               "Wi-Fi power saving.",
    "bluetooth": "Forget the device in Bluetooth settings, pair it again, and make sure the earbuds' firmware is current.",
    "notifications": "In Settings > Apps > {app}, allow auto-start and background activity, and set battery usage "
                     "to Unrestricted.",
    "performance": "Turn off High performance mode and avoid gaming while charging; to keep an app in memory, "
                   "pull it down in the recents view to lock it.",
    "update": "In Settings > System update, use the menu to download the full package and keep the battery "
              "above 30% while installing.",
    "wallet": "In Lumen Wallet, check that Express mode is on under Cards > Settings, and hold the top of the "
              "phone's back against the reader for a second.",
    "gestures": "Lower the back gesture sensitivity in Settings > System navigation > Gestures, or exclude "
                "specific apps.",
    "audio": "Turn off sound enhancement in Settings > Sound > Effects and try the speaker again.",
    "storage": "Part of System data is cache and old update files; Settings > Storage > Clean up removes them, "
               "and a restart frees a bit more.",
    "": "The pinned posts in the lounge list current events, stores and accessories.",
}

DETAILS = {
    "battery": ["System services tops my battery list too.", "With Wi-Fi off overnight it's a bit better, still 10%+.",
                "Rolling back to {old_version} fixed it for me."],
    "camera": ["Only the main camera here.", "Much worse in low light.", "Clearing camera data helped for two days."],
    "display": ["Worst below 30% brightness.", "Same with eye comfort on.", "Screen recordings don't show it, video does."],
    "network": ["{carrier} here, in {city}.", "Stable on 4G.", "Drops several times on a 10-minute train ride."],
    "bluetooth": ["Same with my {earbuds}.", "Resetting the earbuds helped for a while.", "Worse with the watch connected."],
    "notifications": ["{app} and SMS both arrive late.", "No delay while it's charging.", "All keep-alive settings on, no change."],
    "performance": ["Much worse outdoors in summer.", "Dropping to 60 Hz helps a little.", "A reboot buys me a day."],
    "update": ["Same on mobile data.", "Took two days to install for me.", "Clearing the update cache worked."],
    "wallet": ["Same at {transit} in {city}.", "Works fine once unlocked.", "Fails mostly at rush hour."],
    "gestures": ["Mostly in landscape games.", "Worse with a case on.", "Turning off the side bar helped."],
    "audio": ["Worse with sound enhancement on.", "Fine with headphones.", "Always above 80% volume."],
    "storage": ["My System data is over 20 GB too.", "Only a factory reset brought it down."],
    "": ["Would like to know too.", "Following."],
}

STAFF_OPENERS = ["Hi!", "Hello!", "Thanks for the report!", "Hi there!", "Thanks for the detailed write-up."]
STAFF_ASK_LOGS = [
    "Could you reproduce it once, then send logs from Settings > About phone > Feedback & logs and post the "
    "feedback ID here? We'll look at it right away.",
    "Please DM me your model, LumenOS version and roughly when it happens; we need logs to pin it down.",
    "If you can, enable Developer options > Record system logs, reproduce the problem, and upload the logs via "
    "Support > Report a problem.",
]
STAFF_FIX_PLANNED = [
    "We've reproduced this and the fix is planned for {next_version}. Keep an eye out for the update.",
    "Our engineers are on it; the fix is expected in {next_version}.",
    "We've found the cause and are testing a fix. I'll update this thread as soon as it ships.",
]
STAFF_SORRY = ["Sorry for the trouble.", "I understand how frustrating this is, and I'm sorry.", "Sorry for the wait."]
STAFF_ESCALATE = [
    "I've escalated your case to the team responsible and someone will follow up.",
    "This is now a priority issue and we'll post progress here.",
    "I'll keep this thread updated; feel free to DM me any time.",
]
STAFF_SUGGESTION = [
    "Thanks for the idea, I've passed it on to the product team.",
    "This is a popular request and it's on our roadmap. Stay tuned!",
    "Great suggestion, it's in our backlog for a future release.",
]
STAFF_PRAISE = ["Thanks for the support! We'll keep improving.", "Thank you, I've shared this with the team :)",
                "Love to hear it. Come back any time you need us!"]
STAFF_QUESTION_END = ["Let us know if anything else comes up.", "Hope that helps!", "Feel free to ask more questions here."]

FAN_SAME = ["Same here.", "Me too on my {model}.", "+1, started after {version} for me.", "Following, same issue.",
            "Same problem, hoping for an official reply."]
FAN_TRIED = ["What helped a bit for me: {tip}", "Workaround that worked for me: {tip}"]
FAN_SUGGESTION = ["+1, would love this.", "Yes please!", "Upvoted, {model} owners need this too.", "Been waiting for this for ages."]
FAN_PRAISE = ["Agreed!", "Same experience after updating.", "Jealous, my {model} hasn't got the update yet.",
              "Yes, huge improvement."]
FAN_QUESTION = ["I asked the same thing before: {tip}", "Same question.", "I think it's this: {tip}"]

# Staff answers to Lumen Wallet questions and complaints (Banking77 queries), by theme.
WALLET_STAFF = {
    "card": [
        "New cards usually arrive within 5 working days; you can follow the delivery under Lumen Wallet > Cards > "
        "Track card. Once it's there, tap Activate and scan the card.",
        "You can change your PIN, unblock it or freeze the card under Lumen Wallet > Cards > Card settings. "
        "A blocked PIN is released after you confirm with your passcode.",
        "For contactless, check that NFC is on and that Lumen Wallet is the default payment app in Settings > "
        "Connections > NFC, then hold the top of the phone against the reader.",
    ],
    "payment": [
        "Please contact us through Lumen Wallet > Help > Chat with the date, the amount and the last four digits "
        "of the card, so we can check the transaction. Never post your full card number here.",
        "Card payments can stay pending for up to 3 working days until the shop confirms them. If it's been "
        "longer, open Lumen Wallet > Activity, tap the payment and choose \"Report a problem\".",
        "A payment listed twice is usually a pending authorisation plus the final charge; the pending one drops "
        "off within a few days. If both settle, report it from Activity and we'll refund the duplicate.",
    ],
    "refund": [
        "Refunds are started by the shop; once they send one it normally shows in Lumen Wallet within 5 working "
        "days. If it's taking longer, ask the shop for the refund reference and send it to us via Help > Chat.",
    ],
    "topup": [
        "Top-ups by card are usually instant, bank transfers can take up to a working day. If a top-up is "
        "reverted, the money goes back to where it came from within 3 to 5 working days.",
        "Your top-up limits and the auto top-up switch are under Lumen Wallet > Balance > Top-up settings.",
    ],
    "transfer": [
        "Transfers to other accounts normally arrive the same day; transfers in other currencies can take 1 to 3 "
        "working days. You can see the status under Lumen Wallet > Activity.",
        "A transfer can be cancelled while it's still pending: open it in Activity and tap Cancel. If it failed, "
        "the money is back in your balance within a day.",
    ],
    "exchange": [
        "Exchange rates are shown in the app before you confirm; card payments abroad use the card network's rate "
        "on the day the payment settles.",
        "You can exchange between currencies under Lumen Wallet > Balance > Exchange; the rate is locked when you "
        "confirm.",
    ],
}
WALLET_FAN = [
    "Had the same thing last month, it sorted itself out after two days.", "Same here, waiting for support too.",
    "The in-app chat fixed this for me in about ten minutes.", "Check Activity in the app, mine showed as pending.",
]
WALLET_CONTEXT = [
    "Using Lumen Wallet on my {model}.", "This was yesterday in {city}.", "Any help appreciated.",
    "Support chat hasn't answered yet.", "Wallet app is up to date, phone on LumenOS {version}.",
    "Amount was {money}.",
]

FIRST_NAMES = [
    "Emma", "Oliver", "Sophie", "James", "Mia", "Lucas", "Grace", "Daniel", "Chloe", "Ethan", "Hannah",
    "Noah", "Zoe", "Liam", "Ava", "Ryan", "Isla", "Jack", "Priya", "Ravi", "Fatima", "Omar", "Lena",
    "Marco", "Sara", "Tom", "Nina", "Alex", "Kate", "Ben", "Aisha", "Sam", "Laura", "Diego", "Yuki", "Kenji",
]
LAST_NAMES = [
    "Clark", "Miller", "Walker", "Wright", "Hughes", "Patel", "Khan", "Turner", "Brooks", "Evans", "Reed",
    "Murphy", "Kelly", "Fischer", "Rossi", "Garcia", "Novak", "Jensen", "Silva", "Cooper", "Bailey",
    "Morgan", "Foster", "Nguyen", "Tanaka", "Okafor", "Larsen", "Baker", "Price", "Shaw",
]
CITIES = ["London", "Manchester", "Dublin", "Berlin", "Amsterdam", "Toronto", "Sydney", "Melbourne",
          "Singapore", "Austin", "Chicago", "Auckland"]
CARRIERS = ["Vodafone", "EE", "O2", "Three", "T-Mobile", "Telstra", "Singtel"]
APPS = ["WhatsApp", "Slack", "Gmail", "Telegram", "Outlook", "Signal", "Teams", "Instagram"]
TRANSIT = ["the Tube gates", "the bus reader", "the metro gates", "the train barriers", "the tram validator"]
PLACES = ["the supermarket", "a coffee shop", "the petrol station", "the station ticket gates"]
HOURS = ["at 11pm", "before bed", "around midnight", "at 10pm"]
CURRENCIES = ["£", "€", "$"]
