package seed

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The later messages of synthetic threads: a customer and an agent writing
// back and forth, in the ticket's language (now and then the other one, as
// customers switch), built from sentences that name order numbers, amounts
// and days. Sentences are drawn with a skew, so that some words are in most
// messages and some in few, as in a real desk; an order number is in a
// handful of messages only. A search benchmark needs exactly that spread.

var customerLines = [2][]string{{
	"I am still waiting for an update on this.",
	"Please check my order #ORDER again.",
	"The payment of ₹AMOUNT was debited from my bank account.",
	"It has been DAYS days and nothing has changed.",
	"The courier says the parcel is at the hub but it never reached me.",
	"I have attached the screenshot of the failed payment.",
	"Can you please cancel the order and refund the money?",
	"My registered mobile number is the same as before.",
	"The OTP never arrives on my phone.",
	"I want to exchange it for a different size.",
	"The invoice still shows the wrong GST number.",
	"Why is the refund taking so long?",
	"The app keeps logging me out after the update.",
	"My wallet balance is not showing the cashback.",
	"I used the coupon but the discount was not applied.",
	"The delivery address pincode is correct, please verify.",
	"Thank you for the quick help.",
	"This is very disappointing, I have been a customer for years.",
}, {
	"मुझे अभी तक कोई जानकारी नहीं मिली है।",
	"कृपया मेरा ऑर्डर #ORDER फिर से जाँचें।",
	"मेरे बैंक खाते से ₹AMOUNT कट गए हैं।",
	"DAYS दिन हो गए हैं और कुछ नहीं बदला।",
	"कूरियर कहता है पार्सल हब पर है लेकिन मुझे नहीं मिला।",
	"मैंने विफल भुगतान का स्क्रीनशॉट भेज दिया है।",
	"कृपया ऑर्डर रद्द करके पैसे वापस कर दीजिए।",
	"मेरा मोबाइल नंबर वही है जो पहले था।",
	"ओटीपी मेरे फ़ोन पर नहीं आता।",
	"मुझे इसे दूसरे आकार में बदलना है।",
	"बिल में अब भी गलत जीएसटी नंबर है।",
	"रिफंड में इतना समय क्यों लग रहा है?",
	"अपडेट के बाद ऐप बार-बार लॉगआउट कर देता है।",
	"मेरे बटुए में कैशबैक नहीं दिख रहा।",
	"कूपन लगाया था पर छूट नहीं मिली।",
	"पते का पिनकोड सही है, कृपया जाँच लें।",
	"जल्दी मदद के लिए धन्यवाद।",
	"यह बहुत निराशाजनक है, मैं सालों से आपका ग्राहक हूँ।",
}}

var agentLines = [2][]string{{
	"Sorry for the trouble, I have checked order #ORDER.",
	"The refund of ₹AMOUNT has been processed and will reach your bank in DAYS working days.",
	"I have raised this with our payments team.",
	"The courier has confirmed the parcel will be delivered within DAYS days.",
	"Could you please share the transaction reference number?",
	"I have reset your account; please try logging in again.",
	"A corrected invoice with your GST number is attached.",
	"The pickup for the exchange is booked for tomorrow.",
	"Please update the app to the latest version and try again.",
	"The cashback will show in your wallet within 24 hours.",
	"I have applied the discount manually to your order.",
	"Thank you for your patience.",
}, {
	"असुविधा के लिए खेद है, मैंने ऑर्डर #ORDER जाँच लिया है।",
	"₹AMOUNT का रिफंड जारी कर दिया गया है, DAYS कार्यदिवसों में आपके खाते में आ जाएगा।",
	"मैंने इसे हमारी भुगतान टीम को भेज दिया है।",
	"कूरियर ने बताया है कि पार्सल DAYS दिनों में पहुँच जाएगा।",
	"कृपया लेनदेन का संदर्भ नंबर भेजें।",
	"मैंने आपका खाता रीसेट कर दिया है, कृपया फिर से लॉगिन करें।",
	"आपके जीएसटी नंबर के साथ सही बिल संलग्न है।",
	"बदलने के लिए पिकअप कल के लिए बुक हो गया है।",
	"कृपया ऐप को नए संस्करण में अपडेट करके फिर कोशिश करें।",
	"कैशबैक 24 घंटे में आपके बटुए में दिखेगा।",
	"मैंने छूट आपके ऑर्डर पर लगा दी है।",
	"धैर्य रखने के लिए धन्यवाद।",
}}

// threadWriter makes the later messages of synthetic tickets.
type threadWriter struct {
	rng *rand.Rand
	b   strings.Builder
}

// thread returns n messages of a ticket (customer first, then agent, in
// turn), appended to into.
func (w *threadWriter) thread(into []string, n int, hindi bool) []string {
	lang := 0
	if hindi {
		lang = 1
	}
	for i := range n {
		l := lang
		if w.rng.IntN(10) == 0 { // one message in ten is in the other language
			l = 1 - lang
		}
		lines := customerLines[l]
		if i%2 == 1 {
			lines = agentLines[l]
		}
		into = append(into, w.message(lines))
	}
	return into
}

// message is two to four sentences, the first ones of the list far more
// often than the last.
func (w *threadWriter) message(lines []string) string {
	w.b.Reset()
	for k := range 2 + w.rng.IntN(3) {
		if k > 0 {
			w.b.WriteByte(' ')
		}
		line := lines[int(float64(len(lines))*w.rng.Float64()*w.rng.Float64())]
		for line != "" {
			at := strings.IndexAny(line, "#₹D")
			if at < 0 {
				w.b.WriteString(line)
				break
			}
			w.b.WriteString(line[:at])
			line = line[at:]
			switch {
			case strings.HasPrefix(line, "#ORDER"):
				w.b.WriteString("OD" + strconv.Itoa(10_000_000+w.rng.IntN(90_000_000)))
				line = line[len("#ORDER"):]
			case strings.HasPrefix(line, "₹AMOUNT"):
				w.b.WriteString("₹" + strconv.Itoa(99+w.rng.IntN(20_000)))
				line = line[len("₹AMOUNT"):]
			case strings.HasPrefix(line, "DAYS"):
				w.b.WriteString(strconv.Itoa(2 + w.rng.IntN(9)))
				line = line[len("DAYS"):]
			default:
				_, size := utf8.DecodeRuneInString(line)
				w.b.WriteString(line[:size])
				line = line[size:]
			}
		}
	}
	return w.b.String()
}
