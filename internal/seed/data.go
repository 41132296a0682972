package seed

// The words of the demo desk: what customers of an Indian online shop and
// payments service write about, in English and in Hindi.

type topic struct {
	text string // subject
	body string // the customer's first message
	tag  string
	// reply is an agent's answer in the customer's language.
	reply string
	hindi bool
}

var subjects = []topic{
	{text: "Payment failed but money was debited", tag: "billing", body: "I tried to pay with UPI, the payment failed, but ₹1,499 was debited from my account. Please check.",
		reply: "Sorry about this. Failed UPI payments are reversed by the bank within 5 working days; I have raised it with our payments team."},
	{text: "My order has not arrived yet", tag: "delivery", body: "It has been ten days since I ordered and the tracking page has not changed since Monday.",
		reply: "I checked with the courier: your parcel is at the local hub and should reach you within two days."},
	{text: "Cannot log in after password reset", tag: "login", body: "I reset my password but the app still says wrong password. I am locked out.",
		reply: "Your account was locked after several attempts; I have unlocked it. Please try again with the new password."},
	{text: "Refund not received for returned item", tag: "refund", body: "I returned the shoes two weeks ago and the refund is still not in my account.",
		reply: "The return was received on the 3rd; the refund was issued today and will show in 3 to 5 working days."},
	{text: "Invoice shows the wrong GST number", tag: "invoice", body: "Our company GSTIN is missing from the invoice. We need a corrected invoice for our accounts.",
		reply: "I have corrected the GSTIN and attached the new invoice."},
	{text: "App crashes when I open my orders", tag: "bug", body: "Since the last update the Android app closes as soon as I tap My Orders.",
		reply: "Thank you for the report. Our engineers have reproduced it; a fix ships in the next update."},
	{text: "Please add dark mode", tag: "feature-request", body: "It would be great if the app had a dark mode for use at night.",
		reply: "Thank you for the suggestion; I have passed it to our product team."},
	{text: "Charged twice for one subscription", tag: "billing", body: "My card statement shows two charges of ₹999 for the same monthly plan.",
		reply: "You are right: the second charge was a duplicate. I have refunded it."},
	{text: "Wrong item delivered", tag: "shipping", body: "I ordered a blue kurta (size M) but received a red one in size L.",
		reply: "Sorry for the mix-up. A pickup is booked for tomorrow and the right item ships today."},
	{text: "How do I change my registered mobile number?", tag: "login", body: "I have a new phone number and want to update it on my account.",
		reply: "Go to Profile → Security → Mobile number; you will get an OTP on the new number to confirm."},
	{text: "भुगतान विफल हुआ", tag: "upi", hindi: true, body: "मैंने UPI से भुगतान किया, भुगतान विफल हो गया लेकिन मेरे खाते से पैसे कट गए।",
		reply: "असुविधा के लिए खेद है। विफल भुगतान की राशि 5 कार्यदिवसों में आपके खाते में वापस आ जाएगी।"},
	{text: "मेरा ऑर्डर अभी तक नहीं पहुँचा", tag: "delivery", hindi: true, body: "मैंने दस दिन पहले ऑर्डर किया था, लेकिन अभी तक डिलीवरी नहीं हुई है।",
		reply: "मैंने कूरियर से बात की है, आपका पार्सल दो दिनों में पहुँच जाएगा।"},
	{text: "रिफंड अभी तक नहीं मिला", tag: "refund", hindi: true, body: "मैंने सामान दो हफ्ते पहले लौटा दिया था, पर रिफंड अभी तक नहीं आया।",
		reply: "आपका रिफंड आज जारी कर दिया गया है, यह 3 से 5 कार्यदिवसों में दिखेगा।"},
	{text: "पासवर्ड बदलने के बाद लॉगिन नहीं हो रहा", tag: "password", hindi: true, body: "पासवर्ड रीसेट करने के बाद भी ऐप गलत पासवर्ड बता रहा है।",
		reply: "आपका खाता कई प्रयासों के बाद लॉक हो गया था, मैंने उसे अनलॉक कर दिया है।"},
	{text: "बिल में गलत राशि दिखाई गई है", tag: "invoice", hindi: true, body: "मेरे बिल में ₹2,000 ज़्यादा जोड़े गए हैं, कृपया जाँच करें।",
		reply: "आप सही हैं, अतिरिक्त राशि हटा दी गई है और नया बिल भेज दिया गया है।"},
	{text: "ऐप बार-बार बंद हो जाता है", tag: "mobile", hindi: true, body: "नए अपडेट के बाद ऐप खोलते ही बंद हो जाता है।",
		reply: "शिकायत के लिए धन्यवाद, हमारी टीम इसे ठीक कर रही है।"},
	{text: "सदस्यता के लिए दो बार पैसे कटे", tag: "billing", hindi: true, body: "एक ही मासिक योजना के लिए मेरे कार्ड से दो बार ₹999 कटे हैं।",
		reply: "दूसरा शुल्क गलती से लगा था, उसे वापस कर दिया गया है।"},
	{text: "गलत सामान मिला", tag: "shipping", hindi: true, body: "मैंने नीला कुर्ता मँगाया था लेकिन लाल कुर्ता आया है।",
		reply: "गलती के लिए क्षमा करें, कल पिकअप होगा और सही सामान आज भेज दिया जाएगा।"},
}

var givenNames = []string{"Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Sneha", "Arjun", "Kavya", "Rahul", "Meera",
	"Ishaan", "Divya", "Karan", "Pooja", "Siddharth", "Neha", "Aditya", "Riya", "Farhan", "Zoya", "Gurpreet", "Lakshmi",
	"Emma", "Liam", "Sofia", "Lucas", "Mia", "Noah", "Yuki", "Chen", "Amara", "Mateo", "Fatima", "Oliver"}

var familyNames = []string{"Sharma", "Patel", "Iyer", "Reddy", "Singh", "Gupta", "Nair", "Banerjee", "Khan", "Mehta",
	"Das", "Joshi", "Kulkarni", "Chatterjee", "Menon", "Bose", "Smith", "Garcia", "Müller", "Tanaka", "Okafor", "Silva",
	"Rossi", "Nguyen"}

// Hindi-speaking customers of the demo, with names in Devanagari.
var hindiNames = []string{"राहुल शर्मा", "प्रिया वर्मा", "अमित कुमार", "सुनीता देवी", "विकास यादव", "अंजलि गुप्ता",
	"मनोज तिवारी", "पूजा सिंह", "संजय मिश्रा", "कविता जोशी"}
